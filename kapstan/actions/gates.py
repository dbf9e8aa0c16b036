"""The one gate every change to an environment's cluster state passes, whoever asks.

    action (deploy, rollback, promote, delete)
        -> require_gate -> go: a Clearance, the only key to ``open_operation``
                        -> ApprovalPending: a pending approval recorded, nothing else done

The policies live in the actions, so the CLI's local mode, the API, the console and the
webhooks meet the same rules: the approval gate here; the resource policy
(``deploying.check_policy``, pure) before it and the tenancy boundary
(``boundary.check_boundary``) after it, both in ``deploy_app``, which every deploy,
rollback and promotion runs, before any operation or cluster call.

An action runs under an approval by naming it (``approval=ID``, once approved): the gate
spends it (approved -> used), so it allows its change once. An action that hands the
change on to another (a rollback to ``deploy_app``, a promotion to its deploy) passes its
Clearance along instead of asking twice; a resumed operation continues the one admitted
before (``continuing``).

Every action that changes cluster state is registered with ``@gated(kind)`` (``GATED``);
a test runs each against an environment that requires approval and expects the refusal
before any operation or cluster call, and another that no operation starts except through
``open_operation``. Not gated: cancelling (it stops work, it applies nothing) and
``app update`` (it moves an application's pins in the store; the deploy that follows is
gated). Deleting an environment with ``--cascade`` deletes each application through
``delete_app``, so in a gated environment it stops at the first, asking for its approval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kapstan.actions.storeports import (
    ApplicationReads,
    Approvals,
    EnvironmentReads,
    Gatekeeping,
    OperationLog,
)
from kapstan.errors import ApprovalRequiredError, ConflictError, KapstanError, NotFoundError
from kapstan.model.operation import Operation
from kapstan.store import Approval

F = TypeVar("F", bound=Callable[..., Any])

GATED: dict[str, Callable[..., Any]] = {}  # kind -> the action that passes the gate for it
# Kinds a Clearance hands on: a promotion's approval covers the deploy that follows it.
_COVERS: dict[str, frozenset[str]] = {"promote": frozenset({"promote", "deploy"})}
_GATE = object()  # only this module makes a Clearance that ``_check`` accepts


def gated(kind: str) -> Callable[[F], F]:
    """Register ``fn`` as the action that changes cluster state for ``kind``."""

    def register(fn: F) -> F:
        GATED[kind] = fn
        return fn

    return register


@dataclass(frozen=True)
class Clearance:
    """The gate said go for ``kind`` of ``app``; ``approval`` is the approval it spent."""

    kind: str
    app: str
    environment: str
    approval: int | None = None
    by: object = field(default=None, repr=False, compare=False)

    def covers(self, kind: str, app: str) -> bool:
        return app == self.app and kind in _COVERS.get(self.kind, frozenset({self.kind}))


class ApprovalPending(ApprovalRequiredError):
    """The change waits for a second user: ``approval`` is recorded, pending."""

    def __init__(self, approval: Approval) -> None:
        super().__init__(
            f"environment {approval.environment!r} requires approval: the {approval.kind} of "
            f"{approval.application} was not applied. Approval {approval.id} is pending: "
            f"another user with the approve permission in {approval.environment} approves it "
            f"with `kapstan approval approve {approval.id}` (it then runs, as "
            f"{approval.requested_by}'s)"
        )
        self.approval = approval
        self.approval_id = approval.id


def requires_approval(store: EnvironmentReads, environment: str) -> bool:
    return store.get_environment(environment).requires_approval


def require_gate(
    store: Gatekeeping,
    *,
    kind: str,
    app: str,
    environment: str,
    actor: str,
    payload: Mapping[str, Any],
    approval: int | None = None,
    clearance: Clearance | None = None,
) -> Clearance:
    """Go (a Clearance), or ApprovalPending with a pending approval recorded.

    ``clearance`` from an action handing its change on is checked and returned;
    ``approval`` names an approved request this change carries out, and is spent.
    """
    if clearance is not None:
        return _check(clearance, kind, app)
    if approval is not None:
        return _spend(store, approval, kind, app, environment)
    if not requires_approval(store, environment):
        return Clearance(kind, app, environment, None, _GATE)
    raise ApprovalPending(_ask(store, kind, app, environment, actor, payload))


def continuing(store: ApplicationReads, operation: Operation) -> Clearance:
    """A resumed operation goes on under the clearance it started with: it existed, so the
    gate let it through (it may have spent an approval that is used now)."""
    environment = store.get_application(operation.app).environment
    return Clearance(operation.kind, operation.app, environment, None, _GATE)


def open_operation(
    store: OperationLog,
    clearance: Clearance,
    app: str,
    kind: str,
    *,
    author: str,
    message: str,
    services: Sequence[str],
) -> Operation:
    """Start an operation (the only way an action changes a cluster) behind the gate."""
    _check(clearance, kind, app)
    return store.start_operation(app, kind, author=author, message=message, services=services)


def _check(clearance: Clearance, kind: str, app: str) -> Clearance:
    if clearance.by is not _GATE or not clearance.covers(kind, app):
        raise KapstanError(
            f"the {kind} of {app} was not let through the approval gate "
            f"(a clearance for the {clearance.kind} of {clearance.app} does not cover it)"
        )
    return clearance


def _spend(store: Approvals, approval_id: int, kind: str, app: str, environment: str) -> Clearance:
    asked = store.get_approval(approval_id)
    if (asked.kind, asked.application, asked.environment) != (kind, app, environment):
        raise ConflictError(
            f"approval {approval_id} is for the {asked.kind} of {asked.application} in "
            f"{asked.environment}, not the {kind} of {app} in {environment}"
        )
    store.mark_approval_used(approval_id)  # ConflictError unless approved and unused
    return Clearance(kind, app, environment, approval_id, _GATE)


def _ask(
    store: Gatekeeping,
    kind: str,
    app: str,
    environment: str,
    actor: str,
    payload: Mapping[str, Any],
) -> Approval:
    try:
        store.get_user(actor)
    except NotFoundError:
        raise ApprovalRequiredError(
            f"environment {environment!r} requires approval: the {kind} of {app} was not "
            f"applied, and no approval could be asked for, since {actor!r} is not a user of "
            f"this store. Create it (`kapstan user create {actor} --no-password`, `kapstan user grant "
            f"{actor} {environment} deployer`) or set $KAPSTAN_USER to your user, and ask again"
        ) from None
    asked = store.request_approval(
        kind=kind,
        application=app,
        environment=environment,
        requested_by=actor,
        payload=dict(payload),
    )
    store.audit(
        actor,
        "approval.request",
        kind="application",
        name=app,
        environment=environment,
        details={
            "approval": asked.id,
            "request": kind,
            **{k: v for k, v in payload.items() if v is not None},
        },
    )
    return asked
