"""Users, tokens and roles; the audit log; approvals."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from kapstan.model.records import Approval, AuditEntry
from kapstan.schemas.base import Model


class LoginRequest(Model):
    user: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(Model):
    id: int
    description: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart.")
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool
    user: str | None = Field(None, description="Whose token it is.")


class NewToken(Model):
    token: str = Field(description="Shown once; send it as 'Authorization: Bearer <token>'.")
    info: TokenOut
    user: str


class TokenRequest(Model):
    description: str = Field("", max_length=200)


class UserOut(Model):
    name: str
    admin: bool
    disabled: bool
    created_at: datetime
    roles: dict[str, str] = Field(description="Environment -> role granted there.")


class UserCreate(Model):
    name: str = Field(min_length=1, max_length=100)
    password: str | None = Field(None, description="None: a token-only user.")
    admin: bool = False


class RoleGrant(Model):
    environment: str
    role: Literal["viewer", "deployer", "admin"]


class AuditOut(Model):
    id: int
    at: datetime
    actor: str
    action: str
    kind: str
    name: str
    environment: str | None
    from_version: str | None
    to_version: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, e: AuditEntry) -> AuditOut:
        """The API's record of an entry; the local CLI prints the same one."""
        return cls(
            id=e.id,
            at=e.at,
            actor=e.actor,
            action=e.action,
            kind=e.kind,
            name=e.name,
            environment=e.environment,
            from_version=e.from_version,
            to_version=e.to_version,
            details=dict(e.details),
        )


class ApprovalOut(Model):
    id: int
    kind: str
    application: str
    environment: str
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    payload: dict[str, Any]
    used_at: datetime | None

    @classmethod
    def of(cls, a: Approval) -> ApprovalOut:
        """The API's record of a stored approval; the local CLI prints the same one."""
        return cls(
            id=a.id,
            kind=a.kind,
            application=a.application,
            environment=a.environment,
            requested_by=a.requested_by,
            requested_at=a.requested_at,
            status=a.status.value,
            decided_by=a.decided_by,
            decided_at=a.decided_at,
            reason=a.reason,
            payload=dict(a.payload),
            used_at=a.used_at,
        )


class RejectRequest(Model):
    reason: str = Field(min_length=1, max_length=1000)


class WithdrawRequest(Model):
    reason: str = Field("", max_length=1000)
