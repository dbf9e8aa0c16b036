"""kwok Stages: how fake nodes and pods move through their lives in the sandbox.

kwok v0.8 ships no default stages, so the sandbox hands it these. Pods become Running and
Ready at once, Job pods complete, deleted pods go away. A pod template label picks a fault
for tests of readiness timeouts, crash reasons and rollbacks:

    kapstan.io/sandbox-fault: never-ready   Running, but its containers never become Ready
    kapstan.io/sandbox-fault: crash         CrashLoopBackOff: exit code 1, restarts counted
    kapstan.io/sandbox-fault: fail          the pod fails (exit code 1): a Job never completes

Any other value, or no label, is a healthy pod (so a template can take the value from config).

Volumes: the sandbox's default StorageClass ``STORAGE_CLASS`` is "provisioned" by kwok too:
a claim of that class gets a PersistentVolume and both become Bound, so StatefulSets with
volumeClaimTemplates run as on a real cluster.

Services of type LoadBalancer get an address from a loopback pool (``service_stages``), so
applications that wait for one become ready as on a cloud.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

FAULT_LABEL = "kapstan.io/sandbox-fault"
STORAGE_CLASS = "kapstan-sandbox"
PROVISIONER = "kapstan.io/sandbox-volume"
FAULTS = ("never-ready", "crash", "fail")

_FAULT_KEY = f'.metadata.labels["{FAULT_LABEL}"]'
_NOT_DELETING = {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"}
_READY_STATUS = '.status.conditions.[] | select( .type == "Ready" ) | .status'

# What every fake node offers; ephemeral-storage too, so pods that request it schedule.
NODE_CAPACITY = {"cpu": "32", "memory": "128Gi", "pods": "110", "ephemeral-storage": "500Gi"}

_NODE_STATUS_TEMPLATE = """\
{{ $now := Now }}
{{ $since := or .metadata.creationTimestamp $now }}
conditions:
{{ range NodeConditions }}
- lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $since | Quote }}
  message: {{ .message | Quote }}
  reason: {{ .reason | Quote }}
  status: {{ .status | Quote }}
  type: {{ .type | Quote }}
{{ end }}
addresses:
{{ with NodeIP }}
- address: {{ . | Quote }}
  type: InternalIP
{{ end }}
{{ with NodeName }}
- address: {{ . | Quote }}
  type: Hostname
{{ end }}
{{ with NodePort }}
daemonEndpoints:
  kubeletEndpoint:
    Port: {{ . }}
{{ end }}
allocatable:
{{ with .status.allocatable }}{{ YAML . 1 }}{{ else }}%(capacity)s{{ end }}
capacity:
{{ with .status.capacity }}{{ YAML . 1 }}{{ else }}%(capacity)s{{ end }}
nodeInfo:
  architecture: amd64
  containerRuntimeVersion: kwok
  kernelVersion: kwok
  kubeletVersion: kwok
  kubeProxyVersion: kwok
  operatingSystem: linux
phase: Running
"""
_NODE_STATUS = _NODE_STATUS_TEMPLATE % {
    "capacity": "".join(f"  {k}: {json.dumps(v)}\n" for k, v in NODE_CAPACITY.items())
}

_POD_ADDRESSES = """\
{{ with NodeIPWith .spec.nodeName }}
hostIP: {{ . | Quote }}
hostIPs:
- ip: {{ . | Quote }}
{{ end }}
{{ with PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
podIP: {{ . | Quote }}
podIPs:
- ip: {{ . | Quote }}
{{ end }}
startTime: {{ Now | Quote }}
"""


def _conditions(ready: bool) -> str:
    status = "True" if ready else "False"
    reason = "" if ready else "\n  reason: ContainersNotReady"
    return (
        "{{ $now := Now }}\nconditions:\n"
        '- lastTransitionTime: {{ $now | Quote }}\n  status: "True"\n  type: Initialized\n'
        '- lastTransitionTime: {{ $now | Quote }}\n  status: "True"\n  type: PodScheduled\n'
        f'- lastTransitionTime: {{{{ $now | Quote }}}}\n  status: "{status}"\n  type: Ready{reason}\n'
        f'- lastTransitionTime: {{{{ $now | Quote }}}}\n  status: "{status}"\n  type: ContainersReady{reason}\n'
    )


def _containers(state: str, ready: bool, extra: str = "") -> str:
    return (
        "containerStatuses:\n{{ range .spec.containers }}\n"
        "- image: {{ .image | Quote }}\n  name: {{ .name | Quote }}\n"
        f"  ready: {'true' if ready else 'false'}\n  started: true\n{extra}"
        f"  state:\n{state}"
        "{{ end }}\n"
    )


_RUNNING = "    running:\n      startedAt: {{ $now | Quote }}\n"
_CRASHING = (
    "    waiting:\n      reason: CrashLoopBackOff\n"
    '      message: "back-off restarting failed container {{ .name }}"\n'
)
_CRASH_HISTORY = (
    "  restartCount: 5\n  lastState:\n    terminated:\n      exitCode: 1\n      reason: Error\n"
    "      startedAt: {{ $now | Quote }}\n      finishedAt: {{ $now | Quote }}\n"
)
_TERMINATED = (
    "    terminated:\n      exitCode: {code}\n      reason: {reason}\n"
    "      startedAt: {{{{ $now | Quote }}}}\n      finishedAt: {{{{ $now | Quote }}}}\n"
)


def _stage(
    name: str, kind: str, match: list[dict[str, Any]], status: str | None, **extra: Any
) -> dict[str, Any]:
    nxt: dict[str, Any] = {"delete": True} if status is None else {"statusTemplate": status}
    spec: dict[str, Any] = {
        "resourceRef": {"apiGroup": "v1", "kind": kind},
        "selector": {"matchExpressions": match},
        "next": nxt,
        **extra,
    }
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "Stage",
        "metadata": {"name": name},
        "spec": spec,
    }


def _fault(values: list[str] | None) -> dict[str, Any]:
    if values is None:
        # Any other value (or none) is healthy, so templates can set the label from config.
        return {"key": _FAULT_KEY, "operator": "NotIn", "values": list(FAULTS)}
    return {"key": _FAULT_KEY, "operator": "In", "values": values}


def _phase(*phases: str) -> dict[str, Any]:
    return {"key": ".status.phase", "operator": "In", "values": list(phases)}


def stages() -> list[dict[str, Any]]:
    """Every Stage the sandbox's kwok runs with."""
    job_owned = {"key": ".metadata.ownerReferences.[].kind", "operator": "In", "values": ["Job"]}
    not_ready = {"key": _READY_STATUS, "operator": "NotIn", "values": ["True"]}
    running = "phase: Running\n" + _POD_ADDRESSES
    return [
        _stage("node-initialize", "Node", [not_ready], _NODE_STATUS),
        _stage(
            "node-heartbeat",
            "Node",
            [_phase("Running"), {**not_ready, "operator": "In", "values": ["True"]}],
            _NODE_STATUS,
            delay={"durationMilliseconds": 20000, "jitterDurationMilliseconds": 25000},
        ),
        _stage(
            "pod-ready",
            "Pod",
            [_NOT_DELETING, _phase("Pending"), not_ready, _fault(None)],
            _conditions(True) + _containers(_RUNNING, True) + running,
        ),
        _stage(
            "pod-never-ready",
            "Pod",
            [_NOT_DELETING, _phase("Pending"), _fault(["never-ready"])],
            _conditions(False) + _containers(_RUNNING, False) + running,
        ),
        _stage(
            "pod-crash",
            "Pod",
            [_NOT_DELETING, _phase("Pending"), _fault(["crash"])],
            _conditions(False) + _containers(_CRASHING, False, _CRASH_HISTORY) + running,
        ),
        _stage(
            "pod-fail",
            "Pod",
            [_NOT_DELETING, _phase("Pending"), _fault(["fail"])],
            _conditions(False)
            + _containers(_TERMINATED.format(code=1, reason="Error"), False)
            + "phase: Failed\n"
            + _POD_ADDRESSES,
        ),
        _stage(
            "pod-complete",
            "Pod",
            [_NOT_DELETING, _phase("Running"), job_owned],
            _conditions(False)
            + _containers(_TERMINATED.format(code=0, reason="Completed"), False)
            + "phase: Succeeded\n",
        ),
        _stage(
            "pod-delete",
            "Pod",
            [{"key": ".metadata.deletionTimestamp", "operator": "Exists"}],
            None,
        ),
    ]


_PV_TEMPLATE = """\
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pvc-{{ .metadata.uid }}
  annotations:
    pv.kubernetes.io/provisioned-by: %(provisioner)s
spec:
  accessModes:
  {{ YAML .spec.accessModes 2 }}
  capacity:
  {{ YAML .spec.resources.requests 2 }}
  persistentVolumeReclaimPolicy: Delete
  storageClassName: {{ .spec.storageClassName | Quote }}
  volumeMode: {{ default "Filesystem" .spec.volumeMode | Quote }}
  claimRef:
    apiVersion: v1
    kind: PersistentVolumeClaim
    name: {{ .metadata.name | Quote }}
    namespace: {{ .metadata.namespace | Quote }}
    uid: {{ .metadata.uid | Quote }}
  hostPath:
    path: /tmp/kapstan-sandbox-volumes/pvc-{{ .metadata.uid }}
    type: DirectoryOrCreate
"""


def _cel(expression: str) -> dict[str, Any]:
    return {"cel": {"expression": expression}}


def _step_stage(
    name: str, kind: str, matches: list[dict[str, Any]], steps: list[dict[str, Any]]
) -> dict[str, Any]:
    """A Stage that runs ``steps`` on core (``v1``) objects of ``kind`` that match."""
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "Stage",
        "metadata": {"name": name},
        "spec": {
            "resourceRef": {"apiGroup": "v1", "kind": kind},
            "selector": {"matchExpressions": matches},
            "steps": steps,
        },
    }


def volume_stages() -> list[dict[str, Any]]:
    """Provision and bind claims of the sandbox's StorageClass (no real disks: hostPath)."""
    of_class = _cel(f"self.spec.storageClassName == '{STORAGE_CLASS}'")
    alive = _cel("!has(self.metadata.deletionTimestamp)")
    provision = _step_stage(
        "pvc-provision",
        "PersistentVolumeClaim",
        [
            of_class,
            alive,
            _cel("!has(self.spec.volumeName)"),
            _cel("self.status.phase != 'Bound'"),
        ],
        [
            {"apply": {"template": _PV_TEMPLATE % {"provisioner": PROVISIONER}}},
            {
                "patch": {
                    "root": "metadata",
                    "template": (
                        'annotations:\n  pv.kubernetes.io/bind-completed: "yes"\n'
                        f"  volume.kubernetes.io/storage-provisioner: {PROVISIONER}\n"
                    ),
                }
            },
            {"patch": {"root": "spec", "template": "volumeName: pvc-{{ .metadata.uid }}\n"}},
            {
                "patch": {
                    "root": "status",
                    "subresource": "status",
                    "template": (
                        "phase: Bound\naccessModes:\n{{ YAML .spec.accessModes 1 }}\n"
                        "capacity:\n{{ YAML .spec.resources.requests 1 }}\n"
                    ),
                }
            },
        ],
    )
    bind = _step_stage(
        "pv-bind",
        "PersistentVolume",
        [
            of_class,
            alive,
            _cel("has(self.spec.claimRef.name)"),
            _cel("!(self.status.phase in ['Bound', 'Released', 'Failed'])"),
        ],
        [{"patch": {"root": "status", "subresource": "status", "template": "phase: Bound\n"}}],
    )
    return [provision, bind]


# An address in 127.1.0.1-127.254.255.254 from a hash of the Service's uid: stable for its
# life, different for another Service (a collision needs two of ~16.5 million), reachable
# here because all of 127/8 is loopback. spec.loadBalancerIP, if set, is honoured as a
# cloud would. A Stage holds no state, so this stands in for an allocator.
_LB_STATUS = """\
{{ $h := adler32sum .metadata.uid | atoi }}
{{ $ip := printf "127.%d.%d.%d" (add1 (mod (div $h 65536) 254)) (mod (div $h 256) 256) (add1 (mod $h 254)) }}
loadBalancer:
  ingress:
  - ip: {{ or .spec.loadBalancerIP $ip | Quote }}
    ipMode: VIP
"""


def service_stages() -> list[dict[str, Any]]:
    """Give Services of type LoadBalancer an ingress address, as a cloud controller would."""
    assign = _step_stage(
        "service-load-balancer",
        "Service",
        [
            _cel("self.spec.type == 'LoadBalancer'"),
            # A class names another implementation: not ours to serve.
            _cel("!has(self.spec.loadBalancerClass)"),
            _cel("!has(self.metadata.deletionTimestamp)"),
            _cel("!has(self.status.loadBalancer) || !has(self.status.loadBalancer.ingress)"),
        ],
        [{"patch": {"root": "status", "subresource": "status", "template": _LB_STATUS}}],
    )
    return [assign]


def write(path: str, extra: list[dict[str, Any]] | None = None) -> None:
    """Write kwok's ``--config``: the stages, then ``extra`` objects (logs, metrics)."""
    with open(path, "w") as f:
        yaml.safe_dump_all(
            [*stages(), *volume_stages(), *service_stages(), *(extra or [])], f, sort_keys=False
        )
