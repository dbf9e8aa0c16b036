"""Rules the captured fixtures cannot show: absent fields, rare states, dispatch."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.health import Health, HealthStatus, health_of

HEALTHY, PROGRESSING, FAILED = HealthStatus.HEALTHY, HealthStatus.PROGRESSING, HealthStatus.FAILED


def obj(
    api_version: str, kind: str, spec: Any = None, status: Any = None, **meta: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "x", "namespace": "ns", **meta},
    }
    if spec is not None:
        body["spec"] = spec
    if status is not None:
        body["status"] = status
    return body


def cond(kind: str, status: str, reason: str = "", message: str = "") -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": message}


CASES: list[tuple[str, dict[str, Any], HealthStatus, str]] = [
    (
        "deployment without spec.replicas wants 1",
        obj(
            "apps/v1",
            "Deployment",
            {},
            {"observedGeneration": 1, "updatedReplicas": 1, "replicas": 1, "availableReplicas": 1},
            generation=1,
        ),
        HEALTHY,
        "1/1 replicas updated and available",
    ),
    (
        "deployment never seen by its controller",
        obj("apps/v1", "Deployment", {"replicas": 2}, None, generation=1),
        PROGRESSING,
        "waiting for generation 1 to be observed (observed 0)",
    ),
    (
        "paused deployment with nothing to roll out",
        obj(
            "apps/v1",
            "Deployment",
            {"paused": True},
            {"observedGeneration": 2, "updatedReplicas": 1, "replicas": 1, "availableReplicas": 1},
            generation=2,
        ),
        HEALTHY,
        "paused; rollout complete",
    ),
    (
        "deployment scaled to zero",
        obj("apps/v1", "Deployment", {"replicas": 0}, {"observedGeneration": 1}, generation=1),
        HEALTHY,
        "0/0 replicas",
    ),
    (
        "replica set with an extra replica",
        obj(
            "apps/v1",
            "ReplicaSet",
            {"replicas": 1},
            {"observedGeneration": 1, "replicas": 2, "availableReplicas": 2},
            generation=1,
        ),
        PROGRESSING,
        "1 extra replica pending termination",
    ),
    (
        "replica set still creating pods",
        obj(
            "apps/v1",
            "ReplicaSet",
            {"replicas": 3},
            {"observedGeneration": 1, "replicas": 1},
            generation=1,
        ),
        PROGRESSING,
        "1/3 replicas created",
    ),
    (
        "daemon set with OnDelete and old pods",
        obj(
            "apps/v1",
            "DaemonSet",
            {"updateStrategy": {"type": "OnDelete"}},
            {
                "observedGeneration": 2,
                "desiredNumberScheduled": 3,
                "updatedNumberScheduled": 1,
                "numberAvailable": 3,
            },
            generation=2,
        ),
        HEALTHY,
        "OnDelete strategy: 2 keep the previous revision",
    ),
    (
        "stateful set with OnDelete and every pod current",
        obj(
            "apps/v1",
            "StatefulSet",
            {"replicas": 1, "updateStrategy": {"type": "OnDelete"}},
            {
                "observedGeneration": 1,
                "readyReplicas": 1,
                "updatedReplicas": 1,
                "currentRevision": "r1",
                "updateRevision": "r1",
            },
            generation=1,
        ),
        HEALTHY,
        "1/1 replicas ready at revision r1",
    ),
    (
        "suspended job",
        obj("batch/v1", "Job", {"suspend": True, "completions": 2}, {}),
        PROGRESSING,
        "job is suspended (0 active, 0/2 succeeded, 0 failed)",
    ),
    (
        "job failed past its deadline",
        obj(
            "batch/v1",
            "Job",
            {},
            {
                "failed": 1,
                "conditions": [
                    cond(
                        "Failed",
                        "True",
                        "DeadlineExceeded",
                        "Job was active longer than specified deadline",
                    )
                ],
            },
        ),
        FAILED,
        "job failed: DeadlineExceeded: Job was active longer than specified deadline",
    ),
    (
        "cron job with running jobs",
        obj(
            "batch/v1",
            "CronJob",
            {"schedule": "@hourly"},
            {"active": [{"name": "a"}, {"name": "b"}], "lastScheduleTime": "2026-01-01T10:00:00Z"},
        ),
        HEALTHY,
        "last scheduled 2026-01-01T10:00:00Z, 2 active",
    ),
    (
        "pod with a crashing init container",
        obj(
            "v1",
            "Pod",
            {},
            {
                "phase": "Pending",
                "initContainerStatuses": [
                    {
                        "name": "migrate",
                        "restartCount": 3,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                        "lastState": {
                            "terminated": {"exitCode": 2, "reason": "Error", "message": "no table"}
                        },
                    }
                ],
            },
        ),
        FAILED,
        "container migrate: CrashLoopBackOff; last exit code 2 (Error): no table; 3 restarts",
    ),
    (
        "pod still creating its containers",
        obj(
            "v1",
            "Pod",
            {},
            {
                "phase": "Pending",
                "conditions": [cond("PodScheduled", "True")],
                "containerStatuses": [
                    {"name": "app", "state": {"waiting": {"reason": "ContainerCreating"}}}
                ],
            },
        ),
        PROGRESSING,
        "container app: ContainerCreating",
    ),
    (
        "running pod with two containers not ready",
        obj(
            "v1",
            "Pod",
            {},
            {
                "phase": "Running",
                "conditions": [cond("Ready", "False")],
                "containerStatuses": [
                    {"name": "a", "ready": False},
                    {"name": "b", "ready": False},
                    {"name": "c", "ready": True},
                ],
            },
        ),
        PROGRESSING,
        "containers a, b not ready",
    ),
    (
        "running pod held back by a readiness gate",
        obj(
            "v1",
            "Pod",
            {},
            {
                "phase": "Running",
                "conditions": [
                    cond(
                        "Ready",
                        "False",
                        "ReadinessGatesNotReady",
                        'corresponding condition of pod readiness gate "lb" does not exist.',
                    )
                ],
                "containerStatuses": [{"name": "a", "ready": True}],
            },
        ),
        PROGRESSING,
        "pod not ready: ReadinessGatesNotReady",
    ),
    (
        "pod whose node stopped reporting",
        obj("v1", "Pod", {}, {"phase": "Unknown"}),
        HealthStatus.UNKNOWN,
        "pod phase is Unknown",
    ),
    (
        "custom resource stalled",
        obj(
            "example.com/v1",
            "Widget",
            {},
            {
                "conditions": [
                    cond("Ready", "False", "Reconciling"),
                    cond("Stalled", "True", "InvalidSpec", "size must be > 0"),
                ]
            },
        ),
        FAILED,
        "stalled: InvalidSpec: size must be > 0",
    ),
    (
        "custom resource not yet observed",
        obj(
            "example.com/v1",
            "Widget",
            {},
            {"observedGeneration": 1, "conditions": [cond("Ready", "True")]},
            generation=2,
        ),
        PROGRESSING,
        "waiting for generation 2 to be observed (observed 1)",
    ),
    (
        "a custom kind named Deployment is not an apps Deployment",
        obj("example.com/v1", "Deployment", {"replicas": 3}, {}),
        HEALTHY,
        "exists (no Ready condition)",
    ),
    (
        "custom resource definition established",
        obj(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            {},
            {"conditions": [cond("NamesAccepted", "True"), cond("Established", "True")]},
        ),
        HEALTHY,
        "established",
    ),
    (
        "custom resource definition with a clashing name",
        obj(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            {},
            {
                "conditions": [
                    cond(
                        "NamesAccepted",
                        "False",
                        "ListKindConflict",
                        '"WidgetList" is already in use',
                    )
                ]
            },
        ),
        FAILED,
        "names not accepted: ListKindConflict",
    ),
    (
        "custom resource definition just created",
        obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", {}, {}),
        PROGRESSING,
        "waiting for the definition to be established",
    ),
    (
        "hpa unable to scale its target",
        obj(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            {"maxReplicas": 4},
            {
                "currentReplicas": 2,
                "conditions": [
                    cond(
                        "AbleToScale", "False", "FailedGetScale", 'deployments/scale "x" not found'
                    )
                ],
            },
        ),
        HEALTHY,
        "autoscaling inactive, AbleToScale is False: FailedGetScale",
    ),
    (
        "object being deleted",
        obj("v1", "ConfigMap", None, None, deletionTimestamp="2026-01-01T00:00:00Z"),
        PROGRESSING,
        "being deleted since 2026-01-01T00:00:00Z",
    ),
    (
        "object with no kind",
        {"metadata": {"name": "x"}},
        HealthStatus.UNKNOWN,
        "object has no kind",
    ),
]


@pytest.mark.parametrize(
    ("obj", "status", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_health_of(obj: dict[str, Any], status: HealthStatus, message: str) -> None:
    health = health_of(obj)

    assert health.status is status, health.message
    assert message in health.message


def test_a_missing_object_is_missing_and_not_done() -> None:
    health = health_of(None)

    assert health == Health(HealthStatus.MISSING, "object does not exist")
    assert not health.done and not health.ok


@pytest.mark.parametrize(
    ("status", "done", "ok"),
    [
        (HealthStatus.HEALTHY, True, True),
        (HealthStatus.FAILED, True, False),
        (HealthStatus.PROGRESSING, False, False),
        (HealthStatus.MISSING, False, False),
        (HealthStatus.UNKNOWN, False, False),
    ],
)
def test_done_and_ok(status: HealthStatus, done: bool, ok: bool) -> None:
    assert (Health(status, "m").done, Health(status, "m").ok) == (done, ok)


def test_describe_puts_the_status_before_the_message() -> None:
    assert (
        Health.progressing("2/3 replicas updated").describe() == "progressing: 2/3 replicas updated"
    )
    assert Health.healthy().describe() == "healthy"
    assert f"{HealthStatus.FAILED}" == "failed"  # a StrEnum: serialises as its value
