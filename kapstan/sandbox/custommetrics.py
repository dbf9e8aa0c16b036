"""Custom metrics on the sandbox: kwok -> Prometheus -> prometheus-adapter -> custom.metrics.k8s.io.

- kwok serves a per-pod gauge ``network_receive_bytes_per_second`` (labels namespace, pod)
  at ``CUSTOM_PATH`` for every node (the ``Metric`` below), computed like CPU and memory from
  the sandbox's ClusterResourceUsage (kwok looks a usage up by any resource name; the rules
  set it with ``set_usage(..., network=)``).
- Prometheus (Debian's ``prometheus``) scrapes kwok's kubelet-like server once per node,
  every ``SCRAPE_INTERVAL``, keeping kwok's namespace and pod labels.
- prometheus-adapter (built from Go modules) turns every series with namespace and pod
  labels into a per-pod custom metric and serves ``custom.metrics.k8s.io`` behind the
  aggregation layer, reached as metrics-server is (an ExternalName Service naming 127.0.0.1,
  its serving certificate checked against the sandbox CA).

Pure: objects, configuration and command lines; ``kapstan.sandbox.cluster`` starts them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from kapstan.errors import SandboxError
from kapstan.sandbox import crds

NAMESPACE = "kube-system"
SERVICE = "prometheus-adapter"
API_SERVICES = ("v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io")
CUSTOM_PATH = "/metrics/nodes/{nodeName}/metrics/custom"
NETWORK_METRIC = "network_receive_bytes_per_second"
NETWORK_RESOURCE = NETWORK_METRIC  # the ClusterResourceUsage entry kwok reads it from
SCRAPE_INTERVAL = "2s"
# How often the adapter re-reads the series list from Prometheus (a new metric appears then).
RELIST_INTERVAL = "5s"


def metric_object() -> dict[str, Any]:
    """kwok's ``Metric`` serving each pod's simulated bandwidth for every node."""
    return {
        "apiVersion": crds.API_VERSION,
        "kind": "Metric",
        "metadata": {"name": "metrics-custom"},
        "spec": {
            "path": CUSTOM_PATH,
            "metrics": [
                {
                    "name": NETWORK_METRIC,
                    "dimension": "pod",
                    "kind": "gauge",
                    "help": "Bytes the pod receives per second (simulated)",
                    "value": f'pod.Usage("{NETWORK_RESOURCE}")',
                    "labels": [
                        {"name": "namespace", "value": "pod.metadata.namespace"},
                        {"name": "pod", "value": "pod.metadata.name"},
                    ],
                }
            ],
        },
    }


def prometheus_config(kwok_port: int, nodes: list[str], ca_file: Path) -> dict[str, Any]:
    """Prometheus scraping kwok's per-node custom metrics path (one target per node)."""
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "scrape_configs": [
            {
                "job_name": "kwok-pods",
                "scheme": "https",
                "honor_labels": True,
                "tls_config": {"ca_file": str(ca_file), "server_name": "127.0.0.1"},
                "static_configs": [
                    {
                        "targets": [f"127.0.0.1:{kwok_port}"],
                        "labels": {
                            "__metrics_path__": CUSTOM_PATH.replace("{nodeName}", node),
                            "node": node,
                        },
                    }
                    for node in nodes
                ],
            }
        ],
    }


def prometheus_argv(binary: str, config: Path, data: Path, port: int) -> list[str]:
    return [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        "--storage.tsdb.retention.time=1h",
        f"--web.listen-address=127.0.0.1:{port}",
        # Debian's build serves its console templates from /etc; the sandbox needs none.
        "--web.enable-lifecycle",
    ]


def adapter_config() -> dict[str, Any]:
    """Every series with namespace and pod labels becomes a per-pod custom metric."""
    return {
        "rules": [
            {
                "seriesQuery": '{__name__=~"^[a-z_]+$",namespace!="",pod!=""}',
                "resources": {
                    "overrides": {
                        "namespace": {"resource": "namespace"},
                        "pod": {"resource": "pod"},
                    }
                },
                "name": {"matches": "^(.*)$", "as": "${1}"},
                "metricsQuery": "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
            }
        ]
    }


def adapter_argv(
    binary: Path,
    config: Path,
    kubeconfig: Path,
    cert: Path,
    key: Path,
    port: int,
    prometheus_port: int,
) -> list[str]:
    return [
        str(binary),
        f"--prometheus-url=http://127.0.0.1:{prometheus_port}/",
        f"--config={config}",
        f"--metrics-relist-interval={RELIST_INTERVAL}",
        "--bind-address=127.0.0.1",
        f"--secure-port={port}",
        f"--tls-cert-file={cert}",
        f"--tls-private-key-file={key}",
        f"--lister-kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
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


def api_services(port: int, ca_bundle: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": name, "labels": {"k8s-app": SERVICE}},
            "spec": {
                "group": "custom.metrics.k8s.io",
                "version": name.split(".")[0],
                "service": {"name": SERVICE, "namespace": NAMESPACE, "port": port},
                "caBundle": ca_bundle,
                "groupPriorityMinimum": 100,
                "versionPriority": 200 if name.startswith("v1beta2") else 100,
            },
        }
        for name in API_SERVICES
    ]


def rbac() -> list[tuple[str, dict[str, Any]]]:
    """Read access to custom metrics for users other than the admin, as upstream grants it."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": "custom-metrics-reader",
            "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        },
        "rules": [
            {
                "apiGroups": ["custom.metrics.k8s.io"],
                "resources": ["*"],
                "verbs": ["get", "list", "watch"],
            }
        ],
    }
    return [("/apis/rbac.authorization.k8s.io/v1/clusterroles", role)]


def prometheus_binary() -> str:
    """Debian's ``prometheus`` on PATH (scripts/setup.sh installs it)."""
    found = shutil.which("prometheus")
    if found is None:
        raise SandboxError(
            "custom metrics need Prometheus: no `prometheus` on PATH; install Debian's "
            "package (`apt-get install prometheus`, scripts/setup.sh does)"
        )
    return found
