"""Deploys on a Kapstan server: it runs them in the background and this client follows
their event stream; each answer is decoded back into the record the local side returns.

Apart from ``kapstan.cli.backend.deploys`` so that a local deploy loads neither the API's
schemas nor the HTTP client (start-up: tests/cli/test_startup.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast, get_args

from kapstan import schemas as s
from kapstan.cli.backend.started import RECENT, Approval, Pending, Planned, Promoted, no_operation
from kapstan.client import decode
from kapstan.client.http import ApiClient, ServerError, path
from kapstan.engine.planning import ServiceAction, ServicePlan
from kapstan.errors import KapstanError
from kapstan.model.autoscaling import AutoscalerStatus, ScalingCondition
from kapstan.model.health import Health, HealthStatus
from kapstan.model.operation import REQUEST_EVENT, Listener, Operation, Step
from kapstan.model.servicestatus import ServiceStatus
from kapstan.plan.live import Action, ResourcePlan
from kapstan.plan.ownership import Conflict
from kapstan.render.resources import ResourceKey

if TYPE_CHECKING:
    from kapstan.engine.options import DeployOptions

STREAM_READ_TIMEOUT = 120.0  # seconds without a byte; the server pings every 15


class RemoteDeploys:
    """The server runs deploys in the background; the client follows their event stream."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def plan(self, app: str, services: Sequence[str]) -> Planned:
        answer = decode.parse(
            s.PlanOut, self.client.get(path("applications", app, "plan"), service=list(services))
        )
        return Planned([service_plan(p) for p in answer.services], answer.warnings, answer.hints)

    def deploy(
        self,
        app: str,
        *,
        services: Sequence[str],
        options: DeployOptions,
        author: str,
        shown: Planned | None = None,
    ) -> Pending | Approval:
        # The server records its caller as the author, and plans for itself (``shown``
        # stays here: a plan made by another process is not one to trust).
        body = {
            "services": list(services),
            "atomic": options.atomic,
            "timeout": options.timeout,
            "force": options.force,
            "message": options.message,
            "adopt": options.adopt,
            "max_inflight": options.max_inflight,
        }
        started = self._started(self.client.post(path("applications", app, "deploy"), body))
        if isinstance(started, Approval):
            environment = decode.application(self.client.get(path("applications", app)))
            return replace(started, environment=environment.environment)
        return started

    def rollback_plan(self, app: str, *, service: str | None, to: int | None) -> Planned:
        asked = {k: v for k, v in (("service", service), ("to", to)) if v is not None}
        data = self.client.get(path("applications", app, "rollback", "plan"), **asked)
        answer = decode.parse(s.PlanOut, data)
        return Planned([service_plan(p) for p in answer.services], answer.warnings)

    def rollback(
        self, app: str, *, service: str | None, to: int | None, timeout: float, author: str
    ) -> Pending | Approval:
        body = {"service": service, "to": to, "timeout": timeout}
        started = self._started(self.client.post(path("applications", app, "rollback"), body))
        if isinstance(started, Approval):
            environment = decode.application(self.client.get(path("applications", app)))
            return replace(started, environment=environment.environment)
        return started

    def promote(
        self, source: str, to: str, as_: str | None, *, deploy: bool, timeout: float, author: str
    ) -> Promoted:
        body = {"toEnvironment": to, "appName": as_, "deploy": deploy, "timeout": timeout}
        data = self.client.post(path("applications", source, "promote"), body)
        answer = decode.parse(s.Accepted, data)
        run = self._started(data) if answer.status != "done" else None
        if isinstance(run, Approval):  # nothing is created until it is approved
            return Promoted(None, False, replace(run, environment=to), tuple(answer.carried))
        target = decode.application(self.client.get(path("applications", answer.app or "")))
        return Promoted(target, bool(answer.created), run, tuple(answer.carried))

    def status(self, app: str) -> list[ServiceStatus]:
        data = self.client.get(path("applications", app, "status"))
        return [service_status(decode.parse(s.ServiceStatusOut, x)) for x in data]

    def operation(self, app: str, operation_id: int | None) -> Operation:
        if operation_id is None:
            latest = self.client.get(path("applications", app, "operations"), limit=1)["items"]
            if not latest:
                raise no_operation(app)
            operation_id = int(latest[0]["id"])
        return decode.operation(
            self.client.get(path("applications", app, "operations", operation_id))
        )

    def operations(self, app: str) -> list[Operation]:
        page = self.client.get(path("applications", app, "operations"), limit=RECENT)
        return [decode.operation(x) for x in page["items"]]

    def cancel(self, app: str, *, author: str) -> Operation:
        # The server records its caller as the one who cancelled.
        return decode.operation(self.client.post(path("applications", app, "cancel")))

    def _started(self, data: Any) -> Pending | Approval:
        answer = decode.parse(s.Accepted, data)
        app = answer.app or ""
        if answer.approval_id is not None and answer.operation_id is None:
            return Approval(answer.approval_id, app, "", answer.message)
        if answer.operation_id is None:
            raise KapstanError(f"the server started nothing: {answer.message or answer.status}")
        operation_id = answer.operation_id
        return Pending(app, lambda listener: self.follow(app, operation_id, listener))

    def follow(self, app: str, operation_id: int, listener: Listener | None) -> Operation:
        """Report the operation's events (and service states) until it ends; then it, read."""
        url = path("applications", app, "operations", operation_id, "events") + "?states=true"
        while True:
            for event in self.client.events(url, timeout=STREAM_READ_TIMEOUT):
                if listener is not None:
                    report(event.name, event.data, listener)
            op = decode.operation(
                self.client.get(path("applications", app, "operations", operation_id))
            )
            if op.finished_at is not None:
                return failed_to_run(op)
            # The stream ends on its own after an hour: an operation still running is followed on.


def report(name: str, data: Any, listener: Listener) -> None:
    if name == "progress":
        e = decode.operation_event(data)
        if e.status != REQUEST_EVENT:  # the operation's recorded request: bookkeeping, not news
            listener(e.service, e.resource, e.status, e.message)
    elif name == "state":
        state = decode.parse(s.ServiceStateOut, data)
        listener(state.service, "", state.step, state.message)


def failed_to_run(op: Operation) -> Operation:
    """An operation the engine could not run at all: its error, raised as a local run raises it.

    The engine's own failure ends the log with a ``failed`` event carrying the operation's
    message (``deploy_app``); services that failed to become ready do not.
    """
    last = op.events[-1] if op.events else None
    if (
        op.status is Step.FAILED
        and last is not None
        and last.status == "failed"
        and not last.service
        and last.message == op.message
    ):
        raise KapstanError(op.message)
    return op


def service_plan(p: s.ServicePlanOut) -> ServicePlan:
    return ServicePlan(
        service=p.service,
        action=_action(p.action),
        content_hash=p.content_hash,
        resources=tuple(
            ResourcePlan(
                resource_key(r.resource),
                _resource_action(r.action),
                r.diff or "",
                _conflict(r.conflict),
            )
            for r in p.resources
        ),
        prune=tuple(dict(e) for e in p.prune),
        previous=None,
        color=p.color,
        live_color=p.live_color,
    )


def _conflict(c: s.ConflictOut | None) -> Conflict | None:
    return Conflict(c.object, c.owner, c.adoptable) if c is not None else None


def _action(text: str) -> ServiceAction:
    if text not in get_args(ServiceAction):
        raise ServerError(f"the server's plan has an unknown service action {text!r}")
    return cast(ServiceAction, text)


def _resource_action(text: str) -> Action:
    if text not in get_args(Action):
        raise ServerError(f"the server's plan has an unknown resource action {text!r}")
    return cast(Action, text)


def resource_key(text: str) -> ResourceKey:
    """``Deployment.apps ns/web`` (as ``str(ResourceKey)`` writes it) back into its parts.

    Kinds and names hold no dot or slash, so the first dot ends the kind and the first
    slash the namespace.
    """
    kind_group, _, where = text.partition(" ")
    kind, _, group = kind_group.partition(".")
    namespace, slash, name = where.partition("/")
    return (
        ResourceKey(group, kind, namespace, name) if slash else ResourceKey(group, kind, "", where)
    )


def service_status(x: s.ServiceStatusOut) -> ServiceStatus:
    return ServiceStatus(
        x.service,
        x.revision,
        x.revision_status,
        x.ready,
        x.desired,
        Health(HealthStatus(x.health), x.message),
        x.outdated,
        x.drifted,
        _autoscaler(x.autoscaler) if x.autoscaler else None,
    )


def _autoscaler(x: s.AutoscalerOut) -> AutoscalerStatus:
    return AutoscalerStatus(
        x.name,
        x.current,
        x.desired,
        x.min,
        x.max,
        tuple(ScalingCondition(c.type, c.status, c.reason, c.message) for c in x.conditions),
    )
