"""One front door for policy: every action that changes an environment's cluster state passes
the approval gate (``kapstan.actions.gates``), and the refusal comes before anything else.

Environment ``prod`` requires approval; its kubeconfig points at a port that records any
connection, so an action that touched the cluster before the gate refused is caught.
"""

from __future__ import annotations

import ast
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kapstan
from kapstan.actions import applications, configs, gates, templates
from kapstan.actions.approvals import carry_out
from kapstan.actions.deleting import delete_app
from kapstan.actions.deploying import deploy_app, rollback_app
from kapstan.actions.gates import GATED, ApprovalPending
from kapstan.actions.promote import plan_promotion, promote
from kapstan.actions.refs import Ref
from kapstan.errors import ApprovalRequiredError, ClusterError, ConflictError
from kapstan.model.records import ApprovalStatus
from kapstan.model.values import SecretValue, Value
from kapstan.store import Store
from tests.actions.conftest import BOOKSTORE

SERVICES = ("postgres", "catalog", "web")


@dataclass
class KubePort:
    """A TCP port standing in for a kube-apiserver: it records each connection and drops it."""

    port: int
    touched: list[str] = field(default_factory=list)


@pytest.fixture
def kube_port() -> Iterator[KubePort]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)  # so the loop sees ``stop`` soon after the test
    found = KubePort(listener.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, peer = listener.accept()
            except TimeoutError:
                continue
            found.touched.append(f"{peer}")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield found
    stop.set()
    thread.join(timeout=5)
    listener.close()


def kubeconfig_for(path: Path, port: int) -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: k, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
    )
    return path


@pytest.fixture
def world(store: Store, tmp_path: Path, kube_port: KubePort) -> Store:
    """dev (no approval) with app ``src``; prod (approval) with app ``shop``, deployed twice."""
    kubeconfig = kubeconfig_for(tmp_path / "kubeconfig", kube_port.port)
    templates.import_template(store, BOOKSTORE, author="a")
    values: dict[str, Value] = {"web.host": "h", "db.password": SecretValue("pw")}
    for env in ("dev", "prod"):
        configs.set_values(store, env, values, author="a")
        store.create_environment(
            env, kubeconfig=str(kubeconfig), context=None, namespace=f"ns-{env}", config=env
        )
    store.set_environment_approval("prod", True)
    for user in ("dana", "paul"):
        store.create_user(user, password=None)
        store.grant_role(user, "prod", "deployer")
    applications.create_app(store, "src", template=Ref("bookstore"), environment="dev", author="a")
    applications.create_app(
        store, "shop", template=Ref("bookstore"), environment="prod", author="a"
    )
    for _ in range(2):  # two deployed revisions each: something to roll back to
        for service in SERVICES:
            store.add_revision(
                "shop",
                service,
                manifests="{}",
                hash=f"h-{service}",
                template="bookstore",
                template_version=1,
                config="prod",
                config_version=1,
                author="a",
            )
    return store


# Each changing action, called as a front door calls it, on ``shop`` in prod (or into prod).
Call = Callable[[Store], Any]
CALLS: dict[str, tuple[str, Call]] = {
    "deploy": ("shop", lambda s: deploy_app(s, "shop", author="dana")),
    "rollback": ("shop", lambda s: rollback_app(s, "shop", author="dana")),
    "promote": (
        "src-prod",
        lambda s: promote(s, plan_promotion(s, "src", "prod", None), author="dana"),
    ),
    "delete": ("shop", lambda s: delete_app(s, "shop", author="dana")),
}


def test_every_registered_changing_action_has_a_call_here() -> None:
    """A new gated kind needs its line in CALLS, so the test below runs it too."""
    assert set(GATED) == set(CALLS)


@pytest.mark.parametrize("kind", sorted(CALLS))
def test_a_changing_action_in_a_gated_environment_is_refused_first(
    world: Store, kube_port: KubePort, kind: str
) -> None:
    app, call = CALLS[kind]
    with pytest.raises(ApprovalPending) as refused:
        call(world)
    (pending,) = world.list_approvals(status="pending")
    assert (pending.kind, pending.application, pending.requested_by) == (kind, app, "dana")
    assert refused.value.approval_id == pending.id
    assert f"`kapstan approval approve {pending.id}`" in refused.value.message
    assert kube_port.touched == [], "the cluster was reached before the gate refused"
    assert world.list_operations("shop") == [], "nothing started"
    assert world.get_application("shop").template_version == 1
    assert [a.name for a in world.list_applications()] == ["shop", "src"], "nothing made"
    (asked,) = [e for e in world.list_audit() if e.action == "approval.request"]
    assert (asked.actor, asked.details["approval"]) == ("dana", pending.id)


def _calls(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            found.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return found


SOURCE = Path(kapstan.__file__).parent


def test_operations_start_only_behind_the_gate() -> None:
    """Every cluster change is an operation; only ``gates.open_operation`` starts one, and it
    wants a Clearance only the gate makes."""
    starting = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "start_operation" in _calls(ast.parse(path.read_text()))
    ]
    allowed = {"actions/gates.py"}
    assert [p for p in starting if p not in allowed and not p.startswith("store/")] == []


def test_every_action_that_opens_an_operation_is_registered_as_gated() -> None:
    registered = {(fn.__module__, fn.__name__) for fn in GATED.values()}
    opening = []
    for path in (SOURCE / "actions").glob("*.py"):
        module = f"kapstan.actions.{path.stem}"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and "open_operation" in _calls(node):
                opening.append((module, node.name))
    assert opening and [o for o in opening if o not in registered] == []


def test_cancel_is_not_gated_it_stops_work() -> None:
    assert "cancel" not in GATED


def test_an_approved_request_runs_once_as_its_requester(world: Store) -> None:
    with pytest.raises(ApprovalPending) as asked:
        deploy_app(world, "shop", author="dana", services=["web"])
    with pytest.raises(ConflictError, match="not approved"):
        deploy_app(world, "shop", author="dana", approval=asked.value.approval_id)
    decided = world.approve(asked.value.approval_id, user="paul")
    with pytest.raises(ClusterError):  # through the gate, then the cluster port refuses
        carry_out(world, decided, listener=None)
    (op,) = world.list_operations("shop")
    assert (op.kind, op.author, [s.service for s in op.services]) == ("deploy", "dana", ["web"])
    assert world.get_approval(decided.id).status is ApprovalStatus.USED
    with pytest.raises(ConflictError, match="used already"):
        carry_out(world, decided, listener=None)
    with pytest.raises(ConflictError, match="is for the deploy of shop"):
        rollback_app(world, "shop", author="dana", approval=decided.id)
    assert len(world.list_operations("shop")) == 1


def test_a_requester_the_store_does_not_know_is_told_how_to_ask(world: Store) -> None:
    with pytest.raises(ApprovalRequiredError, match="'ci' is not a user of this store"):
        deploy_app(world, "shop", author="ci")
    assert world.list_approvals() == [] and world.list_operations("shop") == []


# -- the class of defect: a change that skips the gate -----------------------------------

Ask = st.sampled_from(["none", "pending", "approved", "approved-other-kind", "used", "rejected"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kind=st.sampled_from(["deploy", "rollback", "delete"]), ask=Ask, gated_env=st.booleans())
def test_the_gate_lets_a_change_through_only_with_its_own_unused_approval(
    world: Store, kind: str, ask: str, gated_env: bool
) -> None:
    world.set_environment_approval("prod", gated_env)
    approval = _approval(world, kind, ask)
    before = len(world.list_approvals(status="pending"))
    try:
        cleared = gates.require_gate(
            world,
            kind=kind,
            app="shop",
            environment="prod",
            actor="dana",
            payload={},
            approval=approval,
        )
    except ApprovalPending:
        assert gated_env and approval is None
        assert len(world.list_approvals(status="pending")) == before + 1
        return
    except ConflictError:
        assert ask in ("pending", "approved-other-kind", "used", "rejected")
        return
    assert (not gated_env and approval is None) or ask == "approved"
    assert cleared.covers(kind, "shop") and cleared.approval == approval
    if approval is not None:
        assert world.get_approval(approval).status is ApprovalStatus.USED


def _approval(store: Store, kind: str, ask: str) -> int | None:
    if ask == "none":
        return None
    other = "delete" if kind != "delete" else "deploy"
    asked = store.request_approval(
        kind=other if ask == "approved-other-kind" else kind,
        application="shop",
        environment="prod",
        requested_by="dana",
        payload={},
    )
    if ask == "rejected":
        store.reject(asked.id, user="paul", reason="no")
    elif ask != "pending":
        store.approve(asked.id, user="paul")
    if ask == "used":
        store.mark_approval_used(asked.id)
    return asked.id
