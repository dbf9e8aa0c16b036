"""``connect`` and ``KubeClient``: the verbs Kapstan uses on a cluster, on raw dict objects.

    with connect(kubeconfig, "prod") as kube:
        live = kube.apply(manifest)                 # server-side apply as "kapstan"
        kube.get("apps/v1", "Deployment", "web", "shop")

Only Kapstan errors leave these methods (see ``kapstan.kube.errors``); temporary failures
are retried first (``kapstan.kube.retries``). The plumbing lives in ``connection``.
"""

from __future__ import annotations

import builtins
from collections.abc import Generator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import httpx2
from lightkube.types import CascadeType, PatchType

from kapstan.errors import (
    ClusterConflictError,
    ClusterForbiddenError,
    ClusterInvalidError,
    ClusterNotFoundError,
    ClusterUnavailableError,
    ClusterUnknownKindError,
)
from kapstan.kube import config, drain, logstreams, objects, retries, watches
from kapstan.kube.connection import Connection
from kapstan.kube.resources import KubeObject, describe, resource_class
from kapstan.kube.retries import RetryPolicy

Propagation = Literal["Background", "Foreground", "Orphan"]
METRICS_API = "metrics.k8s.io/v1beta1"  # served by metrics-server behind the aggregation layer


def connect(
    kubeconfig: str | Path,
    context: str | None = None,
    *,
    field_manager: str = "kapstan",
    timeout: float = 30,
    retry: RetryPolicy | None = None,
    impersonate: str | None = None,
) -> KubeClient:
    """A client for ``context`` (default: the current one); fails now if the server is unreachable.

    ``impersonate``: every request is made as this user (or ``system:serviceaccount:NS:NAME``),
    so the cluster's RBAC for that identity bounds what the client may do.
    """
    target = config.load(kubeconfig, context, impersonate)
    client = KubeClient(target, field_manager, timeout, retry)
    try:
        client.version()
    except BaseException:
        client.close()
        raise
    return client


class KubeClient(Connection):
    """A thin synchronous client for one kubeconfig context."""

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> KubeObject | None:
        """The live object, or None if it does not exist."""
        k = self.kind(api_version, kind)
        ns = self.namespace_for(k, namespace)
        try:
            found = self.call(
                describe(kind, ns, name),
                lambda: self._kube.get(resource_class(k), name, namespace=ns),
            )
        except ClusterNotFoundError:
            return None
        return objects.as_dict(found)

    def apply(
        self,
        obj: Mapping[str, Any],
        *,
        dry_run: bool = False,
        force: bool = True,
        field_manager: str | None = None,
    ) -> KubeObject:
        """Server-side apply ``obj``; returns what the server holds (or would, if ``dry_run``).

        ``field_manager`` overrides the client's own for a partial apply (a scale, an
        annotation) that must not take the other fields away from the main manager.
        """
        k = self.kind(*objects.type_of(obj))
        ns = self.namespace_for(k, (obj.get("metadata") or {}).get("namespace"))
        body = objects.for_apply(obj, k, ns)
        name = str(body["metadata"]["name"])
        result = self.call(
            describe(k.kind, ns, name),
            lambda: self._kube.patch(
                resource_class(k),
                name,
                body,
                namespace=ns,
                patch_type=PatchType.APPLY,
                force=force,
                dry_run=dry_run,
                field_manager=field_manager,
            ),
        )
        return objects.as_dict(result)

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation: Propagation = "Background",
    ) -> bool:
        """Delete the object (or start to); False if it was already gone."""
        k = self.kind(api_version, kind)
        ns = self.namespace_for(k, namespace)
        cascade = CascadeType(propagation)
        try:
            self.call(
                describe(kind, ns, name),
                lambda: self._kube.delete(resource_class(k), name, namespace=ns, cascade=cascade),
            )
        except ClusterNotFoundError:
            return False
        return True

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> builtins.list[KubeObject]:
        """Objects of a kind in ``namespace`` (None: all namespaces) carrying ``labels``."""
        return self.list_kind(self.kind(api_version, kind), namespace, labels=labels)

    def list_bounded(
        self, api_version: str, kind: str, namespace: str | None, limit: int
    ) -> builtins.list[KubeObject] | None:
        """Every object of a kind in ``namespace`` in one request, or None when the cluster
        holds more than ``limit`` of them: a plan reads a kind at once only while that costs
        less than reading its few objects by name."""
        k = self.kind(api_version, kind)
        ns = self.namespace_for(k, namespace)
        where = f" in {ns}" if ns else ""
        page = self._raw_get(f"{k.path(ns)}?limit={limit}", f"list {k.kind}{where}")
        if (page.get("metadata") or {}).get("continue"):
            return None
        # List items come without apiVersion and kind; callers get whole objects.
        typed = {"apiVersion": k.api_version, "kind": k.kind}
        return [{**typed, **item} for item in page.get("items") or ()]

    def list_managed(
        self, namespace: str, labels: Mapping[str, str], kinds: Iterable[tuple[str, str]]
    ) -> builtins.list[KubeObject]:
        """Objects carrying ``labels`` across (apiVersion, kind) pairs, for pruning decisions.

        A kind the cluster no longer serves (its CRD deleted) has no objects, so it is skipped.
        """
        found: builtins.list[KubeObject] = []
        for api_version, kind in kinds:
            try:
                k = self.kind(api_version, kind)
            except ClusterUnknownKindError:
                continue
            found += self.list_kind(k, namespace, labels=labels)
        return found

    def ensure_namespace(self, name: str) -> None:
        """Create the namespace if missing; ClusterConflictError while it is being deleted.

        An existing namespace is never written: it may belong to an admin or another tool
        (labels, quotas), and a namespace-scoped identity may not patch it anyway.
        """
        if self.namespace_exists(name) is False:
            self.create_namespace(name)

    def namespace_exists(self, name: str) -> bool | None:
        """True or False; None when the credentials may not read it (an admin of the namespace
        through a RoleBinding may not always): then it is taken to exist, and writes into it
        say if it does not. ClusterConflictError while it is being deleted."""
        try:
            live = self.get("v1", "Namespace", name)
        except ClusterForbiddenError:
            return None
        if live is not None and (live.get("status") or {}).get("phase") == "Terminating":
            raise ClusterConflictError(
                f"Namespace {name} is being deleted; wait until it is gone, then deploy again"
            )
        return live is not None

    def create_namespace(self, name: str) -> bool:
        """Create namespace ``name``: True if this call created it, False if it existed."""
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}

        def create() -> None:
            self._http.post("/api/v1/namespaces", json=body).raise_for_status()

        try:
            self.call(f"create Namespace {name}", create)
        except ClusterConflictError:  # created by someone else since we looked
            return False
        return True

    def events_for(self, obj: Mapping[str, Any]) -> builtins.list[KubeObject]:
        """The core/v1 Events about ``obj`` (by uid, else by name and kind), oldest first."""
        namespace = (obj.get("metadata") or {}).get("namespace")
        k = self.kind("v1", "Event")
        return objects.by_time(self.list_kind(k, namespace, fields=objects.involving(obj)))

    def pod_logs(
        self, namespace: str, pod: str, container: str | None = None, tail_lines: int = 20
    ) -> str | None:
        """The last log lines, or None when the node agent cannot serve them (or not yet).

        A missing pod is ClusterNotFoundError; logs are asked once, never retried.
        """
        try:
            return self.call(
                f"logs of Pod {namespace}/{pod}" + (f" container {container}" if container else ""),
                lambda: "".join(
                    self._kube.log(
                        pod, namespace=namespace, container=container, tail_lines=tail_lines
                    )
                ),
                retries.ONCE,
            )
        except (ClusterUnavailableError, ClusterInvalidError):
            # 5xx: the kubelet (or kwok's fake node) is unreachable; 400: not started yet.
            return None

    def stream_logs(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        *,
        follow: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        previous: bool = False,
        timestamps: bool = False,
    ) -> Generator[str, None, None]:
        """The log's lines as the kubelet sends them; with ``follow``, until the container
        stops or this client closes (from any thread). Asked once, never retried."""
        what = f"logs of Pod {namespace}/{pod}" + (f" container {container}" if container else "")
        params = logstreams.log_params(
            container,
            follow=follow,
            tail_lines=tail_lines,
            since_seconds=since_seconds,
            previous=previous,
            timestamps=timestamps,
        )
        return logstreams.stream_lines(
            self._http,
            f"/api/v1/namespaces/{namespace}/pods/{pod}/log",
            params,
            what=what,
            origin=self.target.origin,
            identity=self.target.impersonate,
            watching=self.watching,
        )

    def pod_metrics(
        self, namespace: str, labels: Mapping[str, str] | None = None
    ) -> builtins.list[KubeObject]:
        """The PodMetrics (metrics.k8s.io) of pods carrying ``labels``: each container's
        current CPU and memory. ClusterUnknownKindError when the cluster serves no metrics API;
        ClusterUnavailableError when it is registered but its server does not answer."""
        return self.list(METRICS_API, "PodMetrics", namespace, labels=labels)

    def watch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        *,
        labels: Mapping[str, str] | None = None,
        resource_version: str | None = None,
        timeout_seconds: int = 10,
    ) -> Iterator[tuple[str, KubeObject]]:
        """(ADDED|MODIFIED|DELETED, object) until the server ends the watch after the timeout."""
        k = self.kind(api_version, kind)
        ns = namespace if k.namespaced else None
        params = watches.watch_params(labels, resource_version, timeout_seconds)
        what = f"watch {k.kind}" + (f" in {ns}" if ns else "")
        return watches.stream(
            self._http,
            k,
            ns,
            params,
            what=what,
            origin=self.target.origin,
            identity=self.target.impersonate,
            watching=self.watching,
        )

    def probe_pod(self, namespace: str, pod: str, port: int, path: str) -> tuple[bool, str]:
        """An HTTP GET on a pod through the apiserver's proxy: (answered 2xx/3xx, what happened).

        Used as a health gate, so it never raises: a refused or failing probe is an answer.
        """
        url = f"/api/v1/namespaces/{namespace}/pods/{pod}:{port}/proxy/{path.lstrip('/')}"
        try:
            response = self._http.get(url)
        except httpx2.HTTPError as exc:
            return False, f"GET {path} on pod {pod}:{port} failed: {type(exc).__name__}"
        ok = 200 <= response.status_code < 400
        return ok, f"GET {path} on pod {pod}:{port} answered HTTP {response.status_code}"

    def evict(self, namespace: str, pod: str) -> str | None:
        """Evict ``pod`` (policy/v1 Eviction): None once the apiserver accepted it (or the
        pod is gone); the apiserver's reason while a PodDisruptionBudget forbids it (429).
        Only that answer is returned: an overloaded apiserver's 429 is retried as any."""
        url = f"/api/v1/namespaces/{namespace}/pods/{pod}/eviction"

        def post() -> str | None:
            response = self._http.post(url, json=drain.eviction(namespace, pod))
            if response.status_code == 404:
                return None
            try:
                body = response.json()
            except ValueError:
                body = {}
            refused = drain.refusal(response.status_code, body if isinstance(body, dict) else {})
            if refused is not None:
                return refused
            response.raise_for_status()
            return None

        return self.call(f"evict Pod {namespace}/{pod}", post)
