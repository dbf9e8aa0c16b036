"""Drift: the last check of an application's services, or one made now."""

from __future__ import annotations

from datetime import datetime

from kapstan.schemas.base import Model


class ServiceDriftOut(Model):
    service: str
    revision: int | None
    drifted: bool
    checked_at: datetime | None = None  # None: never checked
    fields: list[str] = []
    diff: str = ""  # secret values are <redacted>
    note: str = ""  # why the service was not compared
    healed_by: int | None = None  # the operation that re-applied it


class DriftOut(Model):
    app: str
    environment: str
    self_heal: bool
    drifted: bool
    services: list[ServiceDriftOut]
    healed_by: int | None = None
    heal_note: str = ""


class SelfHealSetting(Model):
    enabled: bool
