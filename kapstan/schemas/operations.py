"""Deploys, rollbacks and promotions; revisions and their diffs; operations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from kapstan.schemas.base import MAX_INFLIGHT, MAX_STORED_INT, Model


class DeployRequest(Model):
    services: list[str] = []
    atomic: bool = False
    timeout: float = Field(300.0, gt=0, le=3600)
    force: bool = False
    message: str = ""
    adopt: bool = Field(
        False, description="Take over live objects created outside Kapstan (audited as app.adopt)."
    )
    max_inflight: int = Field(
        16, ge=1, le=MAX_INFLIGHT, description="Apply requests in flight at once (all services)."
    )


class RollbackRequest(Model):
    service: str | None = None
    to: int | None = Field(None, ge=1, le=MAX_STORED_INT)
    timeout: float = Field(300.0, gt=0, le=3600)


class PromoteRequest(Model):
    to_environment: str
    app_name: str | None = None
    deploy: bool = Field(True, description="False: create or update the app there, no deploy.")
    timeout: float = Field(300.0, gt=0, le=3600)


class ScalingConditionOut(Model):
    type: str  # AbleToScale, ScalingActive, ScalingLimited
    status: str
    reason: str
    message: str


class AutoscalerOut(Model):
    """The service's HorizontalPodAutoscaler as it stands live."""

    name: str
    current: int = Field(description="Replicas the autoscaler last saw.")
    desired: int = Field(description="Replicas it asks for (0 until it has computed a count).")
    min: int
    max: int
    reason: str = Field(description="Its conditions in one line.")
    conditions: list[ScalingConditionOut]


class ServiceStatusOut(Model):
    service: str
    revision: int | None
    revision_status: str
    ready: int
    desired: int
    health: str
    message: str
    outdated: bool
    drifted: bool | None = None  # the last drift check; null: never checked
    autoscaler: AutoscalerOut | None = None  # null: the service has no HPA (or none live)


class RevisionOut(Model):
    service: str
    revision: int
    status: str
    template: str
    config: str
    hash: str
    author: str
    message: str
    created_at: datetime
    operation_id: int | None


class FieldChangeOut(Model):
    path: str
    old: Any = None
    new: Any = None


class ResourceChangeOut(Model):
    resource: str
    action: str
    fields: list[FieldChangeOut]
    # The parts of ``resource``, so a client rebuilds the key without parsing text.
    group: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""


class RevisionDiffOut(Model):
    old: RevisionOut
    new: RevisionOut
    unified: str
    structured: list[ResourceChangeOut]


class ServiceStateOut(Model):
    service: str
    step: str
    message: str
    revision: int | None


class EventOut(Model):
    at: datetime
    service: str
    resource: str
    status: str
    message: str


class OperationOut(Model):
    id: int
    app: str
    kind: str
    status: str
    author: str
    started_at: datetime
    finished_at: datetime | None
    message: str
    services: list[ServiceStateOut]
    events: list[EventOut] = []


class Accepted(Model):
    """202: the work goes on; follow the operation, or wait for the approval."""

    operation_id: int | None = None
    approval_id: int | None = None
    status: str
    message: str = ""
    app: str | None = None
    created: bool | None = None  # a promotion: whether it created the app (else updated it)
    carried: list[str] = []  # a promotion: promoted keys set to the source's values (k: a -> b)
    hints: list[str] = []  # e.g. the app is pinned to older versions (``app update``)
