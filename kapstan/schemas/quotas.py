"""An environment's quota at the HTTP edge: ResourceQuota ``hard`` keys and LimitRange
container entries, quantities as strings (``"500m"``, ``"8Gi"``)."""

from __future__ import annotations

from kapstan.schemas.base import Model

Quantities = dict[str, str]


class QuotaSetting(Model):
    """The whole quota (PUT), or the keys to change (PATCH; ``unset`` takes keys out:
    quota keys, or ``FIELD.RESOURCE`` such as ``default.cpu``)."""

    hard: Quantities = {}
    container: dict[str, Quantities] = {}
    unset: list[str] = []


class QuotaOut(Model):
    environment: str
    namespace: str
    hard: Quantities
    container: dict[str, Quantities]
    applied: list[str]  # "Kind namespace/name" of the objects applied for it
    used: Quantities  # the live ResourceQuota's status.used (empty if not read)
    unread: str = ""  # why ``used`` is empty, when it could not be read


class QuotaCleared(Model):
    environment: str
    removed: list[str]
