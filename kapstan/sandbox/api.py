"""The few raw API calls the sandbox needs to bring itself up (readiness, fake nodes).

Plain HTTPS with the admin client certificate: bootstrapping a cluster is not Kapstan's
business logic, so it does not go through ``kapstan.kube``.
"""

from __future__ import annotations

import json
import ssl
import time
from pathlib import Path
from typing import Any

import httpx

from kapstan.errors import SandboxError
from kapstan.gobuild import log_tail
from kapstan.sandbox import certs, processes

POLL = 0.2


def _died(rec: processes.ProcessRecord) -> SandboxError:
    return SandboxError(
        f"{rec.component} exited while the sandbox was starting; log {rec.log}:\n"
        f"{log_tail(Path(rec.log))}"
    )


def wait_http(
    url: str, rec: processes.ProcessRecord, timeout: float, verify: ssl.SSLContext | None = None
) -> None:
    """Wait for ``url`` to answer 200 while ``rec`` keeps running (HTTPS checked by ``verify``)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(timeout=2.0, verify=verify or True) as http:
        while time.monotonic() < deadline:
            if not processes.is_running(rec):
                raise _died(rec)
            try:
                r = http.get(url)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}"
            except httpx.TransportError as exc:
                last = type(exc).__name__
            time.sleep(POLL)
    raise SandboxError(
        f"{rec.component} did not become ready within {timeout:.0f}s ({url}: {last}); "
        f"log {rec.log}:\n{log_tail(Path(rec.log))}"
    )


def admin_tls(pki: certs.PKI) -> ssl.SSLContext:
    """TLS trusting the sandbox CA, presenting the admin's client certificate."""
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    ctx.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))
    return ctx


class SandboxClient:
    """An HTTPS client for the sandbox apiserver, authenticated as the admin."""

    def __init__(self, server: str, pki: certs.PKI) -> None:
        ctx = admin_tls(pki)
        self.server = server
        self.http = httpx.Client(base_url=server, verify=ctx, timeout=5.0)

    def close(self) -> None:
        self.http.close()

    def get(self, path: str) -> dict[str, Any] | None:
        """The object at ``path``, or None if there is none."""
        r = self.http.get(path)
        if r.status_code == 404:
            return None
        if r.status_code != 200:
            raise SandboxError(f"GET {path} failed: HTTP {r.status_code} {r.text[:300]}")
        obj: dict[str, Any] = r.json()
        return obj

    def apply(self, path: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply ``obj`` at ``path`` (created if missing), as the sandbox's manager."""
        r = self.http.patch(
            path,
            params={"fieldManager": "kapstan-sandbox", "force": "true"},
            content=json.dumps(obj),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )
        if r.status_code not in (200, 201):
            kind = obj.get("kind", "object")
            raise SandboxError(
                f"applying {kind} {path} failed: HTTP {r.status_code} {r.text[:300]}"
            )
        applied: dict[str, Any] = r.json()
        return applied

    def install_crds(
        self,
        definitions: list[dict[str, Any]],
        watched: list[processes.ProcessRecord],
        timeout: float,
    ) -> None:
        """Create CRDs and wait until the apiserver serves them (Established)."""
        base = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        for crd in definitions:
            self.apply(f"{base}/{crd['metadata']['name']}", crd)

        def check() -> tuple[bool, str]:
            pending = []
            for crd in definitions:
                got = self.get(f"{base}/{crd['metadata']['name']}") or {}
                conds = got.get("status", {}).get("conditions") or []
                if not any(c["type"] == "Established" and c["status"] == "True" for c in conds):
                    pending.append(crd["metadata"]["name"])
            return not pending, f"not yet established: {', '.join(pending)}"

        self.wait_until("kwok's CRDs established", check, watched, timeout)

    def wait_ready(self, rec: processes.ProcessRecord, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if not processes.is_running(rec):
                raise _died(rec)
            try:
                r = self.http.get("/readyz")
                if r.status_code == 200:
                    return
                failing = [ln for ln in r.text.splitlines() if ln.startswith("[-]")]
                last = f"HTTP {r.status_code}: {', '.join(failing) or r.text[:200]}"
            except httpx.TransportError as exc:
                last = type(exc).__name__
            time.sleep(POLL)
        raise SandboxError(
            f"kube-apiserver did not answer /readyz within {timeout:.0f}s ({last}); "
            f"log {rec.log}:\n{log_tail(Path(rec.log))}"
        )

    def create_node(self, name: str, capacity: dict[str, str], annotations: dict[str, str]) -> None:
        node: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "annotations": {
                    "kwok.x-k8s.io/node": "fake",
                    "node.alpha.kubernetes.io/ttl": "0",
                    **annotations,
                },
                "labels": {
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "type": "kwok",
                },
            },
            "status": {"capacity": dict(capacity), "allocatable": dict(capacity)},
        }
        r = self.http.post("/api/v1/nodes", json=node)
        if r.status_code not in (201, 409):
            raise SandboxError(
                f"creating fake node {name} failed: HTTP {r.status_code} {r.text[:300]}"
            )

    def create_default_storage_class(self, name: str, provisioner: str) -> None:
        sc = {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": name,
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": provisioner,
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "Immediate",
        }
        r = self.http.post("/apis/storage.k8s.io/v1/storageclasses", json=sc)
        if r.status_code not in (201, 409):
            raise SandboxError(
                f"creating StorageClass {name} failed: HTTP {r.status_code} {r.text[:300]}"
            )

    def wait_until(
        self, what: str, check: Any, watched: list[processes.ProcessRecord], timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for rec in watched:
                if not processes.is_running(rec):
                    raise _died(rec)
            ok, last = check()
            if ok:
                return
            time.sleep(POLL)
        tails = "\n".join(
            f"  {rec.component} ({rec.log}):\n{log_tail(Path(rec.log), 8)}" for rec in watched
        )
        raise SandboxError(f"{what} not reached within {timeout:.0f}s ({last}); logs:\n{tails}")

    def wait_nodes_ready(
        self, count: int, watched: list[processes.ProcessRecord], timeout: float
    ) -> None:
        def check() -> tuple[bool, str]:
            r = self.http.get("/api/v1/nodes")
            if r.status_code != 200:
                return False, f"HTTP {r.status_code}"
            ready = 0
            for node in r.json().get("items", []):
                conds = node.get("status", {}).get("conditions") or []
                ready += any(c["type"] == "Ready" and c["status"] == "True" for c in conds)
            return ready >= count, f"{ready}/{count} nodes Ready"

        self.wait_until(f"{count} Ready nodes", check, watched, timeout)

    def wait_default_service_account(
        self, watched: list[processes.ProcessRecord], timeout: float
    ) -> None:
        def check() -> tuple[bool, str]:
            r = self.http.get("/api/v1/namespaces/default/serviceaccounts/default")
            return r.status_code == 200, f"default ServiceAccount: HTTP {r.status_code}"

        self.wait_until("the default ServiceAccount", check, watched, timeout)
