"""A service's status as read live: its revision, ready/desired, health and why.

Apart from ``kapstan.actions.status``, which reads it, so that a client decoding a server's
answer loads neither the Kubernetes client nor the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from kapstan.model.autoscaling import AutoscalerStatus
from kapstan.model.health import Health


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    revision: int | None
    revision_status: str
    ready: int
    desired: int
    health: Health
    outdated: bool  # the current template/config render differs from the last revision
    # The last drift check (``actions.drift``): None never checked, else whether it drifted.
    drifted: bool | None = None
    # The service's HPA as it stands live (desired/current replicas, its conditions), if any.
    autoscaler: AutoscalerStatus | None = None
