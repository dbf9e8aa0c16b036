"""CronJob: healthy once it exists; the message tells its last schedule and success.

A CronJob's own rollout has nothing to wait for: its Jobs are separate objects, checked
(if at all) on their own. A suspended CronJob is still healthy, since suspension is what
its spec asks for, but the message says so first.
"""

from __future__ import annotations

from kapstan.health.objects import KubeObject, field, items, text
from kapstan.model.health import Health


def cron_job_health(obj: KubeObject) -> Health:
    schedule = text(obj, "spec", "schedule")
    last = text(obj, "status", "lastScheduleTime")
    parts = [f"schedule {schedule!r}"]
    parts.append(f"last scheduled {last}" if last else "not scheduled yet")
    succeeded = text(obj, "status", "lastSuccessfulTime")
    if succeeded:
        parts.append(f"last succeeded {succeeded}")
    active = len(items(obj, "status", "active"))
    if active:
        parts.append(f"{active} active")
    if field(obj, "spec", "suspend") is True:
        return Health.healthy("suspended, no new jobs will be scheduled; " + ", ".join(parts))
    return Health.healthy(", ".join(parts))
