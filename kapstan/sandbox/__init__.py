"""The sandbox: a real Kubernetes control plane on loopback, for tests, benchmarks and demos.

Real upstream etcd, kube-apiserver, kube-controller-manager and kube-scheduler, built from
Go modules, plus kwok faking the nodes so pods are scheduled and become Ready. See
``kapstan.sandbox.stages`` for the pod label that makes a pod never Ready, crash or fail.

    state = up("default", nodes=3)      # builds the binaries once, then ~10 s
    state.kubeconfig                    # Path of the admin kubeconfig
    append_log(state, "ns", "pod", "container", ["a line"])   # `kubectl logs` shows it
    set_usage(state, "ns", "app=web", cpu="500m")  # metrics.k8s.io shows it (metrics=True)
    set_usage(state, "ns", "app=web", network="20Mi")  # custom.metrics.k8s.io (custom_metrics=True)
    down("default")

Services of type LoadBalancer get an address from a loopback pool; nodes offer cpu,
memory, pods and ephemeral-storage.
"""

from kapstan.sandbox.build import ensure_binaries
from kapstan.sandbox.cluster import (
    DEFAULT_NAME,
    ComponentStatus,
    SandboxState,
    down,
    list_sandboxes,
    load,
    start_custom_metrics,
    status,
    up,
)
from kapstan.sandbox.simulate import append_log, set_usage
from kapstan.sandbox.stages import FAULT_LABEL, FAULTS

__all__ = [
    "DEFAULT_NAME",
    "FAULTS",
    "FAULT_LABEL",
    "ComponentStatus",
    "SandboxState",
    "append_log",
    "down",
    "ensure_binaries",
    "list_sandboxes",
    "load",
    "set_usage",
    "start_custom_metrics",
    "status",
    "up",
]
