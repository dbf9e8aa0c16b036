"""Deleting applications, environments, templates and configs; taking access away.

``DELETE /applications/{app}`` answers 202 with the delete operation (follow it like a
deploy; ``?wait=true``: 200 with it finished), or 202 with an approval id where the
environment requires approval; ``GET .../deletion`` shows first what it
would delete and keep. Deleting an application needs the ``delete`` permission (the
environment's admin); environments, templates and configs, an administrator. Refusals
(in use, naming the users) are 409. Each change is audited by the action it calls.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from kapstan import schemas
from kapstan.actions import access, deletions
from kapstan.actions.deleting import AppRemoval, survey_app
from kapstan.api import convert
from kapstan.api.auth import CallerDep
from kapstan.api.flows import deletions as flows
from kapstan.api.routers.deploys import ACCEPTED
from kapstan.api.routers.users import _user
from kapstan.api.state import runner_of

router = APIRouter(prefix="/api/v1", tags=["deletions"])
DeleteVolumes = Annotated[
    bool, Query(alias="deleteVolumes", description="Also delete PersistentVolumeClaims.")
]
Timeout = Annotated[float, Query(gt=0, le=3600, description="Seconds to wait per service.")]


def removal_out(plan: AppRemoval) -> schemas.DeletionPlanOut:
    return schemas.DeletionPlanOut(
        app=plan.app,
        environment=plan.environment,
        namespace=plan.namespace,
        delete_volumes=not plan.keep_volumes,
        services=[
            schemas.ServiceRemovalOut(
                service=s.service,
                objects=[
                    schemas.RemovalOut(
                        resource=r.what,
                        api_version=r.entry["apiVersion"],
                        kind=r.entry["kind"],
                        namespace=r.entry["namespace"],
                        name=r.entry["name"],
                        delete=r.delete,
                        why=r.why,
                    )
                    for r in s.removals
                ],
            )
            for s in plan.services
        ],
    )


@router.get("/applications/{app}/deletion")
def deletion_plan(
    caller: CallerDep, app: str, delete_volumes: DeleteVolumes = False
) -> schemas.DeletionPlanOut:
    """What deleting the app would delete and keep (and why), read from the live cluster."""
    caller.application(app, "delete")
    return removal_out(survey_app(caller.store, app, keep_volumes=not delete_volumes))


@router.delete("/applications/{app}", status_code=202, responses=ACCEPTED)
def delete_application(
    caller: CallerDep,
    request: Request,
    response: Response,
    app: str,
    delete_volumes: DeleteVolumes = False,
    timeout: Timeout = 300.0,
    wait: bool = False,
) -> schemas.Accepted | schemas.OperationOut:
    """Delete the app's objects (dependents first, waited for), then the app; its history stays."""
    caller.application(app, "delete")
    store = caller.store
    started = flows.request_delete(
        store,
        runner_of(request),
        app=app,
        author=caller.name,
        keep_volumes=not delete_volumes,
        timeout=timeout,
        via="api",
    )
    if started.approval_id is not None:
        return schemas.Accepted(
            approval_id=started.approval_id,
            status="approval-required",
            app=app,
            message="the environment requires approval: a second "
            "user with the approve permission approves "
            f"{started.approval_id}",
        )
    launch = started.launch
    assert launch is not None and launch.operation_id is not None
    if wait:
        launch.done.wait()
        response.status_code = 200
        return convert.operation(store.get_operation(launch.operation_id))
    return schemas.Accepted(
        operation_id=launch.operation_id,
        status="running",
        app=app,
        message=f"follow /api/v1/applications/{app}/operations/{launch.operation_id}/events",
    )


@router.delete("/environments/{name}")
def delete_environment(
    caller: CallerDep,
    name: str,
    cascade: bool = False,
    delete_volumes: DeleteVolumes = False,
    timeout: Timeout = 300.0,
) -> schemas.EnvironmentDeletedOut:
    """Delete the environment (409 while apps use it; ``cascade``: delete them first, in
    this request). Its namespace stays."""
    caller.require_admin("deleting an environment")
    done = deletions.delete_environment(
        caller.store,
        name,
        author=caller.name,
        cascade=cascade,
        keep_volumes=not delete_volumes,
        timeout=timeout,
        via="api",
    )
    return schemas.EnvironmentDeletedOut(
        name=name,
        namespace=done.namespace,
        applications=[r.operation.app for r in done.apps],
        operations=[r.operation.id for r in done.apps],
    )


@router.delete("/templates/{name}")
def delete_template(caller: CallerDep, name: str) -> schemas.TemplateDeletedOut:
    """Delete every version of the template (409 while an app uses any)."""
    caller.require_admin("deleting a template")
    versions = deletions.delete_template(caller.store, name, author=caller.name, via="api")
    return schemas.TemplateDeletedOut(name=name, versions=versions)


@router.delete("/templates/{name}/versions/{version}")
def delete_template_version(
    caller: CallerDep, name: str, version: schemas.StoredInt
) -> schemas.TemplateDeletedOut:
    """Delete one version (409 while an app uses it); the last one takes the template along."""
    caller.require_admin("deleting a template")
    versions = deletions.delete_template(caller.store, name, version, author=caller.name, via="api")
    return schemas.TemplateDeletedOut(name=name, versions=versions)


@router.delete("/configs/{name}")
def delete_config(caller: CallerDep, name: str) -> schemas.ConfigDeletedOut:
    """Delete the config (409 while an application or an environment uses it)."""
    caller.require_admin("deleting a config")
    deletions.delete_config(caller.store, name, author=caller.name, via="api")
    return schemas.ConfigDeletedOut(name=name)


@router.post("/users/{name}/disable")
def disable_user(caller: CallerDep, name: str) -> schemas.UserOut:
    """The user's tokens and console sessions stop working: at once on this server process,
    within seconds (``api.authcache``) on the others."""
    caller.require_admin("disabling a user")
    user = access.disable_user(caller.store, name, author=caller.name, via="api")
    caller.access.forget()
    return _user(user, caller.store.roles_of(name))


@router.post("/users/{name}/enable")
def enable_user(caller: CallerDep, name: str) -> schemas.UserOut:
    caller.require_admin("enabling a user")
    user = access.enable_user(caller.store, name, author=caller.name, via="api")
    return _user(user, caller.store.roles_of(name))


@router.delete("/users/{name}/roles/{environment}")
def revoke_role(caller: CallerDep, name: str, environment: str) -> schemas.RoleRevokedOut:
    """Take the user's role in the environment away (an administrator, or its admin)."""
    caller.grant(environment)
    before = access.revoke_role(caller.store, name, environment, author=caller.name, via="api")
    caller.access.forget()
    return schemas.RoleRevokedOut(user=name, environment=environment, role=before)
