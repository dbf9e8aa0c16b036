"""Deleting an application from the console: what will be deleted and kept (read live), the
confirm button, then the delete operation's page. Same permission (``delete``: the
environment's admin) and the same action as the API and the CLI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from kapstan.actions.deleting import survey_app
from kapstan.api.flows import deletions as flows
from kapstan.api.state import runner_of
from kapstan.web.common import PageRoute, PosterDep, ViewerDep, redirect, render

router = APIRouter(route_class=PageRoute)
DELETE_TIMEOUT = 300.0


@router.get("/apps/{app}/delete")
def delete_page(request: Request, viewer: ViewerDep, app: str, volumes: str = "") -> Response:
    """What deleting the app would delete and keep, and the button that confirms it."""
    application = viewer.caller.application(app, "delete")
    plan = survey_app(viewer.caller.store, app, keep_volumes=not volumes)
    return render(request, "delete.html", app=application, plan=plan)


@router.post("/apps/{app}/delete")
def delete(
    request: Request, viewer: PosterDep, app: str, volumes: Annotated[str, Form()] = ""
) -> Response:
    viewer.caller.application(app, "delete")
    started = flows.request_delete(
        viewer.caller.store,
        runner_of(request),
        app=app,
        author=viewer.name,
        keep_volumes=not volumes,
        timeout=DELETE_TIMEOUT,
        via="console",
    )
    if started.approval_id is not None:
        return render(
            request,
            "message.html",
            202,
            title="Approval required",
            message=f"The environment requires approval: another user with the approve "
            f"permission approves request {started.approval_id}.",
            back=f"/apps/{app}",
        )
    return redirect(f"/apps/{app}/operations/{started.operation_id}")
