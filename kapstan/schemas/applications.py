"""Applications and their views: changes, rendered output, services, graph, plan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from kapstan.schemas.base import Model, StoredInt
from kapstan.schemas.operations import RevisionOut


class ApplicationOut(Model):
    name: str
    template: str
    template_version: int
    environment: str
    config: str
    config_version: int | None
    created_at: datetime
    updated_at: datetime
    auto_deploy: bool = False
    services: list[str] = []
    health: dict[str, str] | None = None
    effective_config_version: int | None = Field(
        None,
        description="The config version the app renders with: configVersion, or the "
        "config's latest when configVersion is null (the app follows it).",
    )


class ApplicationCreate(Model):
    name: str
    template: str
    template_version: StoredInt | None = None
    environment: str
    config: str | None = None
    config_version: StoredInt | None = None


class ApplicationUpdate(Model):
    template_version: StoredInt | None = None
    config_version: StoredInt | None = None


class ServiceChangeOut(Model):
    service: str
    kind: str
    old_hash: str | None
    new_hash: str | None
    keys: list[str]
    files: list[str]
    notes: list[str]
    description: str


class ChangesOut(Model):
    app: str
    template: str = Field("", description="The template's name.")
    config: str = Field("", description="The config's name.")
    from_template: int
    to_template: int
    from_config: int
    to_config: int
    changes: list[ServiceChangeOut]


class ApplicationUpdateOut(ApplicationOut):
    """An updated application and which services' output the update changes, and why."""

    changes: ChangesOut


class RenderedServiceOut(Model):
    service: str
    hash: str
    objects: list[dict[str, Any]]


class ServiceOut(Model):
    service: str
    kinds: list[str]
    depends_on: list[str]
    calls: list[str]
    hash: str
    revision: int | None
    latest_revision: RevisionOut | None = Field(
        None, description="The service's latest revision, whatever its status."
    )


class GraphNode(Model):
    name: str
    depends_on: list[str]
    calls: list[str]


class GraphOut(Model):
    app: str
    services: list[GraphNode]
    waves: list[list[str]]


class ConflictOut(Model):
    """A live object the deploy would take over: another application's, or foreign."""

    object: str = Field(description="Kind namespace/name, as in `Deployment shop/api`.")
    owner: str = Field(
        description="`application X (environment Y)`, `Helm release R`, "
        "or the field managers that wrote it."
    )
    adoptable: bool = Field(
        description="Foreign: a deploy with `adopt: true` takes it over. "
        "Another application's object: never."
    )
    message: str


class ResourcePlanOut(Model):
    resource: str
    action: str
    diff: str | None = None
    conflict: ConflictOut | None = None


class ServicePlanOut(Model):
    service: str
    action: str
    content_hash: str
    color: str | None
    live_color: str | None = Field(None, description="Blue-green: the colour live now.")
    resources: list[ResourcePlanOut]
    prune: list[dict[str, str]]


class PlanOut(Model):
    services: list[ServicePlanOut]
    warnings: list[str]
    hints: list[str] = []  # what the user probably meant: e.g. newer versions not yet used
