"""An application's instances in every environment (``GET /applications/{app}/instances``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from kapstan.schemas.base import Model
from kapstan.schemas.operations import OperationOut


class ReleaseOut(Model):
    """The last deployed release: the versions the newest deployed revision ran."""

    template_version: int
    config_version: int
    deployed_at: datetime
    current: bool = Field(
        description="Every service's last revision is deployed at the pinned versions."
    )


class InstanceHealthOut(Model):
    status: str = Field(description="healthy, progressing, failed, missing or unknown.")
    ready: int
    desired: int
    message: str = Field(description="The least healthy service, and why.")
    error: str = Field(description="Why health could not be read (then status unknown).")
    reachable: bool = Field(description="False: the cluster refused or did not answer.")


class InstanceDriftOut(Model):
    state: str = Field(description="drifted, in sync or not checked.")
    services: list[str] = Field(description="The services found drifted by the last check.")
    checked_at: datetime | None


class InstanceOut(Model):
    application: str
    environment: str
    namespace: str
    cluster: str = Field(description="The registered cluster, else the kubeconfig's server.")
    template: str
    template_version: int
    config: str
    config_version: int
    config_follows_latest: bool
    deployed: ReleaseOut | None = Field(description="None: never deployed.")
    health: InstanceHealthOut
    drift: InstanceDriftOut
    last_operation: OperationOut | None = Field(description="Without its events.")


class InstancesOut(Model):
    """The applications of one template in every environment the caller may view."""

    app: str
    template: str
    lineage: bool
    unhealthy: list[str] = Field(description="Instances not healthy, or not read.")
    drifted: list[str]
    instances: list[InstanceOut]
