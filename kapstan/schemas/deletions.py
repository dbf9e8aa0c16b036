"""Deleting applications (what would go, then the operation), environments, templates, configs."""

from __future__ import annotations

from pydantic import Field

from kapstan.schemas.base import Model


class RemovalOut(Model):
    resource: str = Field(description="Kind namespace/name.")
    api_version: str
    kind: str
    namespace: str
    name: str
    delete: bool = Field(description="False: kept, and ``why``.")
    why: str = ""


class ServiceRemovalOut(Model):
    service: str
    objects: list[RemovalOut]


class DeletionPlanOut(Model):
    """What ``DELETE /applications/{app}`` would delete and keep, read live, in order."""

    app: str
    environment: str
    namespace: str
    delete_volumes: bool
    services: list[ServiceRemovalOut]


class EnvironmentDeletedOut(Model):
    name: str
    namespace: str = Field(description="Left in place: an environment delete never removes it.")
    applications: list[str] = Field(description="With cascade: the applications deleted first.")
    operations: list[int] = Field(description="The delete operation of each, in that order.")


class TemplateDeletedOut(Model):
    name: str
    versions: list[int]


class ConfigDeletedOut(Model):
    name: str


class RoleRevokedOut(Model):
    user: str
    environment: str
    role: str | None = Field(description="The role taken away; None: the user had none there.")
