"""The Kubernetes objects that run an environment's collector: a ServiceAccount, a
ConfigMap holding the configuration, and a DaemonSet (one collector per node, reading the
node's pod log folders read-only). The DaemonSet's pod template carries the
configuration's digest, so a change of rules rolls the collectors."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import yaml

from kapstan.logrules.collector import Scope
from kapstan.model.rendered import KubeObject

COLLECTOR_NAME = "kapstan-log-collector"
# The upstream distribution that has every component a rule can use (the locally built
# collector is a subset of it, at the same release).
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib:0.165.0"
MANAGED_BY = "app.kubernetes.io/managed-by"
ENVIRONMENT_LABEL = "kapstan.io/environment"
COMPONENT_LABEL = "app.kubernetes.io/component"
CONFIG_HASH_ANNOTATION = "kapstan.io/log-rules-hash"
CONFIG_FILE = "config.yaml"


def config_text(config: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(config), sort_keys=True, default_flow_style=False)


def collector_objects(
    config: Mapping[str, Any], scope: Scope, *, image: str = COLLECTOR_IMAGE
) -> list[KubeObject]:
    """ServiceAccount, ConfigMap and DaemonSet for ``config`` in the scope's namespace."""
    text = config_text(config)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    labels = {
        MANAGED_BY: "kapstan",
        ENVIRONMENT_LABEL: scope.environment,
        COMPONENT_LABEL: "log-collector",
    }
    select = {"app.kubernetes.io/name": COLLECTOR_NAME}
    files = [scope.log_root]
    if _reads_volumes(config, scope):
        files.append(f"{scope.kubelet_root.rstrip('/')}/pods")
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(scope, labels),
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(scope, labels),
            "data": {CONFIG_FILE: text},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": _meta(scope, labels),
            "spec": {
                "selector": {"matchLabels": select},
                "template": {
                    "metadata": {
                        "labels": {**labels, **select},
                        "annotations": {CONFIG_HASH_ANNOTATION: digest},
                    },
                    "spec": _pod_spec(image, files),
                },
            },
        },
    ]


def _pod_spec(image: str, host_paths: list[str]) -> dict[str, Any]:
    mounts = [{"name": "config", "mountPath": "/conf", "readOnly": True}]
    volumes: list[dict[str, Any]] = [{"name": "config", "configMap": {"name": COLLECTOR_NAME}}]
    for index, path in enumerate(host_paths):
        mounts.append({"name": f"host-{index}", "mountPath": path, "readOnly": True})
        volumes.append({"name": f"host-{index}", "hostPath": {"path": path, "type": "Directory"}})
    return {
        "serviceAccountName": COLLECTOR_NAME,
        # Every node, tainted or not: a node whose logs are not collected is a silent gap.
        "tolerations": [{"operator": "Exists"}],
        "containers": [
            {
                "name": "otelcol",
                "image": image,
                "args": [f"--config=/conf/{CONFIG_FILE}"],
                # The kubelet writes pod logs readable by root only.
                "securityContext": {"runAsUser": 0, "readOnlyRootFilesystem": True},
                "resources": {
                    "requests": {"cpu": "50m", "memory": "64Mi", "ephemeral-storage": "64Mi"},
                    "limits": {"memory": "256Mi"},
                },
                "volumeMounts": mounts,
            }
        ],
        "volumes": volumes,
    }


def _reads_volumes(config: Mapping[str, Any], scope: Scope) -> bool:
    prefix = f"{scope.kubelet_root.rstrip('/')}/pods/"
    return any(
        path.startswith(prefix)
        for receiver in (config.get("receivers") or {}).values()
        for path in receiver.get("include", [])
    )


def _meta(scope: Scope, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"name": COLLECTOR_NAME, "namespace": scope.namespace, "labels": dict(labels)}
