"""Roles per environment and the permission matrix (every role x every permission)."""

from __future__ import annotations

import pytest

from kapstan.errors import ForbiddenError, InputError, NotFoundError
from kapstan.model.permissions import PERMISSIONS, Permission, Role, least_role
from kapstan.store import Store

# The matrix as the brief states it, written out by hand (not derived from the code).
ALLOWED = {
    "viewer": {"view"},
    "deployer": {"view", "deploy", "rollback", "config.edit", "promote", "approve"},
    "admin": {"view", "deploy", "rollback", "config.edit", "promote", "approve", "delete"},
}
ALL = ["view", "deploy", "rollback", "config.edit", "promote", "delete", "approve"]


@pytest.fixture
def team(store: Store) -> Store:
    for env in ("dev", "prod"):
        store.create_environment(env, kubeconfig="/k", context=None, namespace="a", config=None)
    store.create_user("root", password=None, admin=True)
    for name in ("ana", "bob"):
        store.create_user(name, password=None)
    return store


def test_the_model_matches_the_brief() -> None:
    assert {role.value: {p.value for p in PERMISSIONS[role]} for role in Role} == ALLOWED
    assert {p.value for p in Permission} == set(ALL)
    assert least_role(Permission.DELETE) is Role.ADMIN
    assert least_role(Permission.APPROVE) is Role.DEPLOYER


def allowed(store: Store, user: str, environment: str) -> set[str]:
    """The permissions ``user`` has in ``environment``, found by asking for each one."""
    found = set()
    for permission in ALL:
        try:
            store.check_permission(user, environment, permission)
        except ForbiddenError:
            continue
        found.add(permission)
    return found


@pytest.mark.parametrize("role", list(ALLOWED))
def test_permission_matrix(team: Store, role: str) -> None:
    team.grant_role("ana", "prod", role)
    assert allowed(team, "ana", "prod") == ALLOWED[role]
    assert allowed(team, "ana", "dev") == set()  # the grant is for prod only
    for permission in set(ALL) - ALLOWED[role]:
        with pytest.raises(ForbiddenError) as caught:
            team.check_permission("ana", "prod", permission)
        needed = "admin" if permission == "delete" else "deployer"
        assert str(caught.value) == (
            f"user 'ana' may not {permission} in environment 'prod': that needs the role "
            f"{needed} or higher, and 'ana' is {role} there"
        )
    with pytest.raises(ForbiddenError, match="needs the role viewer or higher, and 'ana' has no"):
        team.check_permission("ana", "dev", "view")


def test_an_admin_user_may_do_everything_everywhere(team: Store) -> None:
    for env in ("dev", "prod"):
        assert allowed(team, "root", env) == set(ALL)
        assert team.role_for("root", env) == "admin"
    assert team.roles_of("root") == {}


def test_grant_replaces_revoke_removes(team: Store) -> None:
    assert team.role_for("ana", "prod") is None
    team.grant_role("ana", "prod", "deployer")
    team.grant_role("ana", "dev", "admin")
    assert team.role_for("ana", "prod") == "deployer"
    team.grant_role("ana", "prod", "viewer")
    assert team.roles_of("ana") == {"dev": "admin", "prod": "viewer"}
    team.revoke_role("ana", "prod")
    team.revoke_role("ana", "prod")  # nothing left: nothing to do
    assert team.roles_of("ana") == {"dev": "admin"}
    assert team.roles_of("bob") == {}


def test_a_disabled_user_has_no_role(team: Store) -> None:
    team.grant_role("ana", "prod", "admin")
    team.disable_user("ana")
    team.disable_user("root")
    assert team.role_for("ana", "prod") is None
    assert team.role_for("root", "prod") is None
    with pytest.raises(ForbiddenError, match="needs the role viewer or higher, and 'ana' is dis"):
        team.check_permission("ana", "prod", "view")


def test_bad_names_are_refused(team: Store) -> None:
    with pytest.raises(InputError, match="'owner' is not a role; use one of: viewer, deployer"):
        team.grant_role("ana", "prod", "owner")
    with pytest.raises(InputError, match="'edit' is not a permission; use one of: view, deploy"):
        team.check_permission("ana", "prod", "edit")
    with pytest.raises(NotFoundError, match="user 'nobody' not found"):
        team.grant_role("nobody", "prod", "viewer")
    with pytest.raises(NotFoundError, match="environment 'staging' not found"):
        team.grant_role("ana", "staging", "viewer")
    with pytest.raises(NotFoundError, match="environment 'staging' not found"):
        team.role_for("ana", "staging")
    with pytest.raises(NotFoundError, match="user 'nobody' not found"):
        team.check_permission("nobody", "prod", "view")
    with pytest.raises(NotFoundError, match="user 'nobody' not found"):
        team.roles_of("nobody")
    assert team.roles_of("ana") == {}


def test_environments_gain_an_approval_flag(team: Store) -> None:
    assert not team.get_environment("prod").requires_approval
    guarded = team.set_environment_approval("prod", True)
    assert guarded.requires_approval and guarded == team.get_environment("prod")
    assert team.clone_environment("prod", "prod2", author="ana").requires_approval
    assert not team.set_environment_approval("prod", False).requires_approval
    with pytest.raises(NotFoundError, match="environment 'nope' not found"):
        team.set_environment_approval("nope", True)
