"""Job: done when its ``Complete`` or ``Failed`` condition is true.

``FailureTarget`` (1.31+) is set as soon as the outcome is decided, before the pods have
terminated and ``Failed`` follows: the Job has failed from that moment, so it counts too.
``SuccessCriteriaMet`` announces success the same way, but a Job is reported healthy only
once ``Complete`` is set, when its pods are gone.
"""

from __future__ import annotations

from kapstan.health.objects import (
    KubeObject,
    because,
    condition,
    field,
    integer,
    is_true,
)
from kapstan.model.health import Health


def job_health(obj: KubeObject) -> Health:
    for kind in ("Failed", "FailureTarget"):
        failed = condition(obj, kind)
        if failed is not None and is_true(failed):
            return Health.failed(f"job failed: {because(failed)} ({_counts(obj)})")
    if is_true(condition(obj, "Complete")):
        return Health.healthy(f"job complete ({_counts(obj)})")
    if is_true(condition(obj, "SuccessCriteriaMet")):
        return Health.progressing(f"success criteria met, waiting for pods to end ({_counts(obj)})")
    if field(obj, "spec", "suspend") is True:
        return Health.progressing(f"job is suspended ({_counts(obj)})")
    return Health.progressing(f"job running ({_counts(obj)})")


def _counts(obj: KubeObject) -> str:
    completions = integer(obj, "spec", "completions", default=1)
    return (
        f"{integer(obj, 'status', 'active')} active, "
        f"{integer(obj, 'status', 'succeeded')}/{completions} succeeded, "
        f"{integer(obj, 'status', 'failed')} failed"
    )
