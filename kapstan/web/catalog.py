"""Templates (with their auto-extracted variables) and configs (history, diff, editing).

Config pages check permissions as the API does (``Caller.config``); editing a key makes a
new version and runs the same triggers as ``POST /api/v1/configs/{name}/values``. Secret
values are shown as ``<redacted>`` (``display``) and never put in a form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from kapstan.actions import configs
from kapstan.actions.configfiles import parse_assignments
from kapstan.actions.refs import Ref
from kapstan.actions.templates import load_template
from kapstan.api import auditing
from kapstan.api.auth import Caller
from kapstan.api.flows.triggers import after_config_change
from kapstan.api.state import runner_of
from kapstan.errors import ForbiddenError, NotFoundError
from kapstan.render.variables import extract_variables
from kapstan.web.common import PageRoute, PosterDep, ViewerDep, redirect, render

router = APIRouter(route_class=PageRoute)


@router.get("/templates")
def templates_page(request: Request, viewer: ViewerDep) -> Response:
    return render(request, "templates.html", templates=viewer.caller.store.list_templates())


@router.get("/templates/{name}")
def template_page(
    request: Request, viewer: ViewerDep, name: str, version: int | None = None
) -> Response:
    caller = viewer.caller
    details = load_template(caller.store, Ref(name, version))
    deployable = [e.name for e in caller.store.list_environments() if caller.can(e.name, "deploy")]
    return render(
        request,
        "template.html",
        details=details,
        variables=extract_variables(details.template),
        history=caller.store.template_history(name),
        environments=deployable,
    )


def _may_view(caller: Caller, name: str) -> bool:
    try:
        caller.config(name, "view")
    except (NotFoundError, ForbiddenError):
        return False
    return True


@router.get("/configs")
def configs_page(request: Request, viewer: ViewerDep) -> Response:
    visible = [c for c in viewer.caller.store.list_configs() if _may_view(viewer.caller, c.name)]
    return render(request, "configs.html", configs=visible)


@router.get("/configs/{name}")
def config_page(request: Request, viewer: ViewerDep, name: str) -> Response:
    viewer.caller.config(name, "view")
    history = configs.config_history(viewer.caller.store, name)
    current = history[-1].version
    return render(
        request,
        "config.html",
        config=current,
        history=list(reversed(history)),
        may_edit=_may_edit(viewer.caller, name),
    )


def _may_edit(caller: Caller, name: str) -> bool:
    try:
        caller.config(name, "config.edit")
    except ForbiddenError:
        return False
    return True


@router.get("/configs/{name}/diff")
def config_diff(request: Request, viewer: ViewerDep, name: str, old: int, new: int) -> Response:
    viewer.caller.config(name, "view")
    found = configs.diff_config_versions(viewer.caller.store, name, old, new)
    return render(request, "config_diff.html", name=name, old=old, new=new, diff=found)


@router.post("/configs/{name}/set")
def set_key(
    request: Request,
    viewer: PosterDep,
    name: str,
    key: Annotated[str, Form()],
    value: Annotated[str, Form()] = "",
    secret: Annotated[str, Form()] = "",
    message: Annotated[str, Form()] = "",
) -> Response:
    """Set one key (a YAML scalar, or a secret's text): a new version if it changed."""
    caller = viewer.caller
    caller.config(name, "config.edit")
    before = caller.store.get_config(name).version
    values = parse_assignments([f"{key}={value}"], secret=bool(secret))  # checks the key
    result = configs.set_values(
        caller.store,
        name,
        values,
        author=caller.name,
        message=message or f"set {key} in the console",
    )
    if result.created:
        auditing.record(
            caller.store,
            caller.name,
            "config.set",
            kind="config",
            name=name,
            from_version=before,
            to_version=result.version.version,
            details={
                "keys": [key],
                "secret": bool(secret),
                "via": "console",
                "keptSecret": list(result.kept_secret) or None,
            },
        )
        after_config_change(caller.store, runner_of(request), result.version, author=caller.name)
    return redirect(f"/configs/{name}")
