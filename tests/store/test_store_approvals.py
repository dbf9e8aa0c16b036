"""Approvals: requested, decided once by someone else who may approve, used once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kapstan.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from kapstan.model.values import SecretValue
from kapstan.store import Approval, ApprovalStatus, Store
from tests.store.conftest import OpenStore
from tests.store.test_store_concurrency import together

PAYLOAD = {"template_version": 4, "config_version": 7, "services": ["api", "db"]}


@pytest.fixture
def team(store: Store) -> Store:
    """prod (guarded) with ana and bob deployers, vic viewer; dev where only vic deploys."""
    for env in ("dev", "prod"):
        store.create_environment(env, kubeconfig="/k", context=None, namespace="a", config=None)
    store.set_environment_approval("prod", True)
    for name in ("ana", "bob", "vic", "root"):
        store.create_user(name, password=None, admin=name == "root")
    store.grant_role("ana", "prod", "deployer")
    store.grant_role("bob", "prod", "deployer")
    store.grant_role("vic", "prod", "viewer")
    store.grant_role("vic", "dev", "deployer")
    return store


def ask(store: Store, by: str = "ana", environment: str = "prod") -> Approval:
    return store.request_approval(
        kind="deploy",
        application="shop",
        environment=environment,
        requested_by=by,
        payload=PAYLOAD,
    )


def test_request_approve_use(team: Store) -> None:
    asked = ask(team)
    assert (asked.kind, asked.application, asked.environment, asked.requested_by) == (
        "deploy",
        "shop",
        "prod",
        "ana",
    )
    assert asked.status is ApprovalStatus.PENDING
    assert [asked.status] == ["pending"]  # a StrEnum: plain strings compare equal
    assert (asked.decided_by, asked.decided_at, asked.reason, asked.used_at) == (None,) * 4
    assert asked.payload == PAYLOAD
    assert team.get_approval(asked.id) == asked

    approved = team.approve(asked.id, user="bob")
    assert (approved.status, approved.decided_by) == ("approved", "bob")
    assert approved.decided_at is not None and approved.decided_at > asked.requested_at
    assert team.get_approval(asked.id) == approved

    used = team.mark_approval_used(asked.id)
    assert used.status == "used" and used.used_at is not None
    with pytest.raises(ConflictError, match=f"approval {asked.id} was used already"):
        team.mark_approval_used(asked.id)
    assert team.get_approval(asked.id) == used


def test_self_approval_is_refused_even_for_an_admin(team: Store) -> None:
    mine = ask(team, by="ana")
    with pytest.raises(ForbiddenError, match=r"^you cannot approve your own request$"):
        team.approve(mine.id, user="ana")
    by_root = ask(team, by="root")
    with pytest.raises(ForbiddenError, match=r"^you cannot approve your own request$"):
        team.approve(by_root.id, user="root")
    assert team.get_approval(mine.id).status == "pending"
    assert team.approve(by_root.id, user="ana").status == "approved"


def test_who_may_approve(team: Store) -> None:
    asked = ask(team)
    # vic deploys in dev but only views prod: the permission counts where the change goes
    with pytest.raises(ForbiddenError, match="'vic' may not approve in environment 'prod'"):
        team.approve(asked.id, user="vic")
    with pytest.raises(ForbiddenError, match="'vic' may not approve"):
        team.reject(asked.id, user="vic", reason="no")
    with pytest.raises(NotFoundError, match="user 'eve' not found"):
        team.approve(asked.id, user="eve")
    assert team.get_approval(asked.id).status == "pending"
    assert team.approve(asked.id, user="root").decided_by == "root"


def test_a_request_is_decided_once(team: Store) -> None:
    asked = ask(team)
    team.approve(asked.id, user="bob")
    with pytest.raises(ConflictError, match=r"is approved already \(by bob\)"):
        team.approve(asked.id, user="root")
    with pytest.raises(ConflictError, match="only a pending request"):
        team.reject(asked.id, user="root", reason="too late")

    rejected = team.reject(ask(team).id, user="bob", reason="freeze until Monday")
    assert (rejected.status, rejected.decided_by, rejected.reason) == (
        "rejected",
        "bob",
        "freeze until Monday",
    )
    with pytest.raises(ConflictError, match="is rejected already"):
        team.approve(rejected.id, user="root")
    with pytest.raises(ConflictError, match="is rejected, not approved"):
        team.mark_approval_used(rejected.id)
    with pytest.raises(ConflictError, match="is pending, not approved"):
        team.mark_approval_used(ask(team).id)


def test_a_requester_may_withdraw_and_a_reason_is_needed(team: Store) -> None:
    asked = ask(team, by="vic")
    with pytest.raises(InputError, match="say why"):
        team.reject(asked.id, user="vic", reason=" ")
    assert team.reject(asked.id, user="vic", reason="wrong tag").status == "rejected"


def test_list_filters_newest_first(team: Store) -> None:
    first, second = ask(team), ask(team, by="bob")
    in_dev = ask(team, by="vic", environment="dev")
    team.approve(first.id, user="bob")
    assert [a.id for a in team.list_approvals()] == [in_dev.id, second.id, first.id]
    assert [a.id for a in team.list_approvals(status="pending")] == [in_dev.id, second.id]
    assert [a.id for a in team.list_approvals(environment="prod")] == [second.id, first.id]
    assert [a.id for a in team.list_approvals(status="approved", environment="dev")] == []
    with pytest.raises(InputError, match="'done' is not an approval status"):
        team.list_approvals(status="done")


def test_bad_requests_are_refused(team: Store) -> None:
    with pytest.raises(InputError, match="approval payload of deploy 'shop': db is a secret"):
        team.request_approval(
            kind="deploy",
            application="shop",
            environment="prod",
            requested_by="ana",
            payload={"db": SecretValue("hunter2hunter2")},
        )
    with pytest.raises(NotFoundError, match="environment 'qa' not found"):
        ask(team, environment="qa")
    with pytest.raises(NotFoundError, match="user 'eve' not found"):
        ask(team, by="eve")
    team.disable_user("bob")
    with pytest.raises(ConflictError, match="user 'bob' is disabled"):
        ask(team, by="bob")
    with pytest.raises(InputError, match="bad kind ''"):
        team.request_approval(
            kind="", application="shop", environment="prod", requested_by="ana", payload={}
        )
    calls: list[Callable[[], Approval]] = [
        lambda: team.get_approval(42),
        lambda: team.approve(42, user="bob"),
        lambda: team.mark_approval_used(42),
    ]
    for call in calls:
        with pytest.raises(NotFoundError, match=r"^approval 42 not found$"):
            call()
    assert team.list_approvals() == []


def test_racing_users_of_one_approval_one_wins(team: Store, open_store: OpenStore) -> None:
    stores = [team, open_store(), open_store()]
    asked = ask(team)
    team.approve(asked.id, user="bob")
    results = together(stores, lambda store, _: store.mark_approval_used(asked.id))
    won = [r for r in results if isinstance(r, Approval)]
    lost = [r for r in results if isinstance(r, ConflictError)]
    assert (len(won), len(lost)) == (1, 2), results
    assert "was used already" in str(lost[0])


def test_racing_deciders_one_wins(team: Store, open_store: OpenStore) -> None:
    asked = ask(team)

    def decide(store: Store, index: int) -> Approval:
        if index == 0:
            return store.approve(asked.id, user="bob")
        return store.reject(asked.id, user="root", reason="no")

    results = together([team, open_store()], decide)
    decided = [r for r in results if isinstance(r, Approval)]
    assert len(decided) == 1 and isinstance(set(results).difference(decided).pop(), ConflictError)
    assert team.get_approval(asked.id).status == decided[0].status
