"""Roles per environment, and the permission check built on them.

A user has at most one role in an environment (granting replaces it); a user flagged
admin is admin everywhere; a disabled user has no role anywhere. What each role allows
is decided in ``kapstan.model.permissions``; this module keeps the grants.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kapstan.errors import ForbiddenError, InputError
from kapstan.model.permissions import (
    Permission,
    Role,
    allows,
    least_role,
    parse_permission,
    parse_role,
)
from kapstan.store.base import Repository
from kapstan.store.environments import LIVE_ENV, find_environment
from kapstan.store.tables import EnvironmentRow, RoleGrantRow, UserRow
from kapstan.store.users import find_user


class RoleStore(Repository):
    def grant_role(self, user: str, environment: str, role: str) -> None:
        """Give ``user`` the role ``role`` in ``environment``, replacing the one it had."""
        wanted = _role(role)

        def work(session: Session) -> None:
            user_row = find_user(session, user, lock=True)
            env_row, _ = find_environment(session, environment)
            grant = _grant(session, user_row, env_row)
            if grant is None:
                session.add(
                    RoleGrantRow(user_id=user_row.id, environment_id=env_row.id, role=wanted)
                )
            else:
                grant.role = wanted

        self._write(work)

    def revoke_role(self, user: str, environment: str) -> None:
        """Take away ``user``'s role in ``environment`` (none left: nothing to do)."""

        def work(session: Session) -> None:
            user_row = find_user(session, user, lock=True)
            env_row, _ = find_environment(session, environment)
            grant = _grant(session, user_row, env_row)
            if grant is not None:
                session.delete(grant)

        self._write(work)

    def roles_of(self, user: str) -> dict[str, str]:
        """The roles granted to ``user``: environment -> role (the admin flag not included)."""

        def work(session: Session) -> dict[str, str]:
            user_row = find_user(session, user)
            rows = session.execute(
                select(EnvironmentRow.name, RoleGrantRow.role)
                .join(EnvironmentRow, EnvironmentRow.id == RoleGrantRow.environment_id)
                .where(RoleGrantRow.user_id == user_row.id, LIVE_ENV)
                .order_by(EnvironmentRow.name)
            )
            return {name: Role(role) for name, role in rows}

        return self._read(work)

    def role_for(self, user: str, environment: str) -> str | None:
        """The role ``user`` acts with in ``environment``, or None."""
        return self._read(lambda session: role_in(session, user, environment))

    def environments_allowing(self, user: str, permission: str) -> list[str]:
        """The environments where ``user`` may do ``permission``, by name: those where
        ``check_permission`` passes, in one read."""
        wanted = _permission(permission)

        def work(session: Session) -> list[str]:
            user_row = find_user(session, user)
            if user_row.disabled:
                return []
            if user_row.admin:
                names = select(EnvironmentRow.name).where(LIVE_ENV).order_by(EnvironmentRow.name)
                return list(session.scalars(names)) if allows(Role.ADMIN, wanted) else []
            rows = session.execute(
                select(EnvironmentRow.name, RoleGrantRow.role)
                .join(EnvironmentRow, EnvironmentRow.id == RoleGrantRow.environment_id)
                .where(RoleGrantRow.user_id == user_row.id, LIVE_ENV)
                .order_by(EnvironmentRow.name)
            )
            return [name for name, role in rows if allows(Role(role), wanted)]

        return self._read(work)

    def check_permission(self, user: str, environment: str, permission: str) -> None:
        """Nothing if ``user`` may do ``permission`` in ``environment``; else ForbiddenError."""
        wanted = _permission(permission)
        self._read(lambda session: require(session, user, environment, wanted))


def role_in(session: Session, user: str, environment: str) -> Role | None:
    return _role_of(session, find_user(session, user), environment)


def require(session: Session, user: str, environment: str, permission: Permission) -> None:
    """ForbiddenError unless ``user`` has ``permission`` in ``environment``."""
    user_row = find_user(session, user)
    role = _role_of(session, user_row, environment)
    if allows(role, permission):
        return
    if user_row.disabled:
        has = "is disabled"
    else:
        has = f"is {role} there" if role is not None else "has no role there"
    raise ForbiddenError(
        f"user {user!r} may not {permission} in environment {environment!r}: that needs the "
        f"role {least_role(permission)} or higher, and {user!r} {has}"
    )


def _role_of(session: Session, user: UserRow, environment: str) -> Role | None:
    env_row, _ = find_environment(session, environment)
    if user.disabled:
        return None
    if user.admin:
        return Role.ADMIN
    grant = _grant(session, user, env_row)
    return Role(grant.role) if grant is not None else None


def _grant(session: Session, user: UserRow, environment: EnvironmentRow) -> RoleGrantRow | None:
    return session.scalars(
        select(RoleGrantRow).where(
            RoleGrantRow.user_id == user.id, RoleGrantRow.environment_id == environment.id
        )
    ).first()


def _role(text: str) -> Role:
    role = parse_role(text)
    if role is None:
        raise InputError(f"{text!r} is not a role; use one of: {', '.join(Role)}")
    return role


def _permission(text: str) -> Permission:
    permission = parse_permission(text)
    if permission is None:
        raise InputError(f"{text!r} is not a permission; use one of: {', '.join(Permission)}")
    return permission
