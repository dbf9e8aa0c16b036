"""Who may do what in an environment: three ordered roles, seven named permissions.

    permission    viewer  deployer  admin
    view            x        x        x
    deploy                   x        x
    rollback                 x        x
    config.edit              x        x
    promote                  x        x
    approve                  x        x
    delete                            x

A role is granted per environment; a user flagged admin is admin in every environment.
Pure: the store keeps the grants, this module decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    """Roles in increasing order of power: each one allows all a lower one allows."""

    VIEWER = "viewer"
    DEPLOYER = "deployer"
    ADMIN = "admin"


class Permission(StrEnum):
    VIEW = "view"
    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    CONFIG_EDIT = "config.edit"
    PROMOTE = "promote"
    DELETE = "delete"
    APPROVE = "approve"


_VIEWER = frozenset({Permission.VIEW})
_DEPLOYER = _VIEWER | {
    Permission.DEPLOY,
    Permission.ROLLBACK,
    Permission.CONFIG_EDIT,
    Permission.PROMOTE,
    Permission.APPROVE,
}
PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {Role.VIEWER: _VIEWER, Role.DEPLOYER: _DEPLOYER, Role.ADMIN: frozenset(Permission)}
)


def allows(role: Role | None, permission: Permission) -> bool:
    """Whether ``role`` (None: no role at all) grants ``permission``."""
    return role is not None and permission in PERMISSIONS[role]


def least_role(permission: Permission) -> Role:
    """The weakest role that grants ``permission``."""
    return next(role for role in Role if permission in PERMISSIONS[role])


def parse_role(text: str) -> Role | None:
    """The role named ``text``, or None if there is none by that name."""
    try:
        return Role(text)
    except ValueError:
        return None


def parse_permission(text: str) -> Permission | None:
    """The permission named ``text``, or None if there is none by that name."""
    try:
        return Permission(text)
    except ValueError:
        return None
