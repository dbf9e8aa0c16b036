"""Plan, deploy, roll back, promote and read the live status of an application.

Deploy, rollback and promote answer 202 at once with the operation id (follow it at
``/operations/{id}`` or its ``/events`` stream), or 202 with an approval id when the
environment requires approval (the actions' gate: rollbacks and promotions too); ``?wait=true`` answers 200 with the finished operation.
A promotion with ``deploy: false`` answers 200 ``done`` once the app is created or updated.
``GET /{app}/rollback/plan`` shows what a rollback would do before it is asked for.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from kapstan import schemas
from kapstan.actions.deploying import plan_app, plan_rollback, policy_warnings
from kapstan.actions.hints import pinned_hints
from kapstan.actions.status import app_status
from kapstan.api import convert
from kapstan.api.auth import CallerDep
from kapstan.api.flows import deploys, promotion
from kapstan.api.routers.appviews import ServicesQuery
from kapstan.api.state import clusters_of, runner_of
from kapstan.engine.deploy import DeployOptions
from kapstan.schemas import MAX_STORED_INT
from kapstan.store import Store

router = APIRouter(prefix="/api/v1/applications", tags=["deploys"])
ACCEPTED: dict[int | str, dict[str, Any]] = {
    200: {"model": schemas.OperationOut, "description": "with ?wait=true: finished"}
}


@router.get("/{app}/plan")
def plan(caller: CallerDep, app: str, service: ServicesQuery = None) -> schemas.PlanOut:
    """What a deploy would do, per service and resource, read from the live cluster."""
    caller.application(app, "view")
    services = service or []
    warnings = policy_warnings(caller.store, app, services)
    return schemas.PlanOut(
        services=[convert.plan(p) for p in plan_app(caller.store, app, services)],
        warnings=warnings,
        hints=pinned_hints(caller.store, app),
    )


@router.get("/{app}/rollback/plan")
def rollback_plan(
    caller: CallerDep,
    app: str,
    service: str | None = None,
    to: Annotated[int | None, Query(ge=1, le=MAX_STORED_INT)] = None,
) -> schemas.PlanOut:
    """What ``POST /{app}/rollback`` with this service and revision would do, read live."""
    caller.application(app, "view")
    plans, warnings = plan_rollback(caller.store, app, service=service, to=to)
    return schemas.PlanOut(services=[convert.plan(p) for p in plans], warnings=warnings)


@router.get("/{app}/status")
def status(request: Request, caller: CallerDep, app: str) -> list[schemas.ServiceStatusOut]:
    caller.application(app, "view")
    found = app_status(caller.store, app, clients=clusters_of(request).connect)
    return [convert.status(s) for s in found]


def _answer(
    store: Store, started: deploys.Started, response: Response, wait: bool, app: str
) -> schemas.Accepted | schemas.OperationOut:
    if started.approval_id is not None:
        response.status_code = 202
        return schemas.Accepted(
            approval_id=started.approval_id,
            status="approval-required",
            app=app,
            message="the environment requires approval: a second user with the "
            f"approve permission approves {started.approval_id}",
        )
    if started.launch is None:  # a promotion without a deploy: nothing runs on
        response.status_code = 200
        return schemas.Accepted(
            status="done",
            app=app,
            created=started.created,
            message=f"{app} {'created' if started.created else 'updated'}; not deployed",
        )
    assert started.launch.operation_id is not None
    if wait:
        started.launch.done.wait()
        response.status_code = 200
        return convert.operation(store.get_operation(started.launch.operation_id))
    response.status_code = 202
    return schemas.Accepted(
        operation_id=started.launch.operation_id,
        status="running",
        app=app,
        created=started.created,
        message=f"follow /api/v1/applications/{app}/operations/"
        f"{started.launch.operation_id}/events",
    )


@router.post("/{app}/deploy", status_code=202, responses=ACCEPTED)
def deploy(
    caller: CallerDep,
    request: Request,
    response: Response,
    app: str,
    body: schemas.DeployRequest,
    wait: bool = False,
) -> schemas.Accepted | schemas.OperationOut:
    caller.application(app, "deploy")
    options = DeployOptions(
        timeout=body.timeout,
        atomic=body.atomic,
        force=body.force,
        message=body.message,
        adopt=body.adopt,
        max_inflight=body.max_inflight,
    )
    started = deploys.request_deploy(
        caller.store,
        runner_of(request),
        app=app,
        author=caller.name,
        services=body.services,
        options=options,
    )
    answer = _answer(caller.store, started, response, wait, app)
    if isinstance(answer, schemas.Accepted):
        answer.hints = pinned_hints(caller.store, app)
    return answer


@router.post("/{app}/rollback", status_code=202, responses=ACCEPTED)
def rollback(
    caller: CallerDep,
    request: Request,
    response: Response,
    app: str,
    body: schemas.RollbackRequest,
    wait: bool = False,
) -> schemas.Accepted | schemas.OperationOut:
    caller.application(app, "rollback")
    started = deploys.request_rollback(
        caller.store,
        runner_of(request),
        app=app,
        author=caller.name,
        service=body.service,
        to=body.to,
        options=DeployOptions(timeout=body.timeout),
    )
    return _answer(caller.store, started, response, wait, app)


@router.post("/{app}/promote", status_code=202, responses=ACCEPTED)
def promote(
    caller: CallerDep,
    request: Request,
    response: Response,
    app: str,
    body: schemas.PromoteRequest,
    wait: bool = False,
) -> schemas.Accepted | schemas.OperationOut:
    """The app's template@version as an app in ``toEnvironment`` (its config), deployed
    unless ``deploy`` is false."""
    caller.application(app, "view")
    caller.require(body.to_environment, "promote")
    found = promotion.plan_promotion(caller.store, app, body.to_environment, body.app_name)
    started = promotion.request_promotion(
        caller.store,
        runner_of(request),
        found,
        author=caller.name,
        deploy=body.deploy,
        timeout=body.timeout,
    )
    answer = _answer(caller.store, started, response, wait, found.target)
    if isinstance(answer, schemas.Accepted):
        answer.carried = [c.text for c in found.carried]
    return answer
