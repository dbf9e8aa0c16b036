"""metrics-server behind the apiserver's aggregation layer: ``metrics.k8s.io`` on the sandbox.

metrics-server scrapes each node's kubelet ``/metrics/resource``; on the sandbox every node
is served by kwok on 127.0.0.1 (the port in the node's ``daemonEndpoints``), at the path in
the node's ``metrics.k8s.io/resource-metrics-path`` annotation (``usage.METRICS_PATH``). The
apiserver reaches metrics-server through an ExternalName Service naming 127.0.0.1 (as
kwokctl does: Endpoints may not hold loopback addresses), checking its serving certificate
against the sandbox CA under the Service's DNS name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kapstan.sandbox import certs

NAMESPACE = "kube-system"
SERVICE = "metrics-server"
API_SERVICE = "v1beta1.metrics.k8s.io"
# metrics-server's floor; the request timeout must stay under 90% of it.
RESOLUTION = "10s"
KUBELET_TIMEOUT = "5s"


def argv(binary: Path, pki: certs.PKI, kubeconfig: Path, port: int) -> list[str]:
    """metrics-server's command line: serving on 127.0.0.1:``port``, scraping kwok."""
    return [
        str(binary),
        "--bind-address=127.0.0.1",
        f"--secure-port={port}",
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--tls-cert-file={pki.metrics_server_cert}",
        f"--tls-private-key-file={pki.metrics_server_key}",
        "--kubelet-preferred-address-types=InternalIP",
        "--kubelet-use-node-status-port",
        f"--kubelet-certificate-authority={pki.ca_cert}",
        f"--kubelet-request-timeout={KUBELET_TIMEOUT}",
        f"--metric-resolution={RESOLUTION}",
    ]


def service(port: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": SERVICE, "namespace": NAMESPACE, "labels": {"k8s-app": SERVICE}},
        "spec": {
            "type": "ExternalName",
            "externalName": "127.0.0.1",
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
        },
    }


def api_service(port: int, ca_bundle: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": API_SERVICE, "labels": {"k8s-app": SERVICE}},
        "spec": {
            "group": "metrics.k8s.io",
            "version": "v1beta1",
            "service": {"name": SERVICE, "namespace": NAMESPACE, "port": port},
            "caBundle": ca_bundle,
            "groupPriorityMinimum": 100,
            "versionPriority": 100,
        },
    }


def rbac() -> list[tuple[str, dict[str, Any]]]:
    """What metrics-server's upstream manifest grants: aggregated read access to metrics.

    The sandbox's metrics-server runs as the admin, but users other than the admin (a
    ServiceAccount of the HPA controller, ``view``-bound users) read ``metrics.k8s.io``
    through these roles, as on a cluster where metrics-server was installed.
    """
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": "system:aggregated-metrics-reader",
            "labels": {
                "rbac.authorization.k8s.io/aggregate-to-admin": "true",
                "rbac.authorization.k8s.io/aggregate-to-edit": "true",
                "rbac.authorization.k8s.io/aggregate-to-view": "true",
            },
        },
        "rules": [
            {
                "apiGroups": ["metrics.k8s.io"],
                "resources": ["pods", "nodes"],
                "verbs": ["get", "list", "watch"],
            }
        ],
    }
    return [("/apis/rbac.authorization.k8s.io/v1/clusterroles", role)]


def available(api_service_obj: dict[str, Any] | None) -> tuple[bool, str]:
    """Whether the aggregator reports the APIService Available, and why not."""
    conds = ((api_service_obj or {}).get("status") or {}).get("conditions") or []
    for c in conds:
        if c.get("type") == "Available":
            return c.get("status") == "True", f"{c.get('reason')}: {c.get('message', '')}"
    return False, "no Available condition yet"
