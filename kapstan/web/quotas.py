"""An environment's quota in the console: what it allows and what the namespace uses now
(read live), and, for the environment's admins, a form to change it and a button to clear
it. The same actions and permissions as ``kapstan env quota`` and the API.

/ui/environments/{name}/quota           the quota, used vs allowed, the objects applied
/ui/environments/{name}/quota  (POST)   KEY=QUANTITY lines: quota keys, or FIELD.RESOURCE
/ui/environments/{name}/quota/clear     deletes the ResourceQuota and LimitRange
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from kapstan.actions import quotas
from kapstan.api.routers.quotas import require_env_admin
from kapstan.errors import ForbiddenError, InputError
from kapstan.plan import quota as rules
from kapstan.web.common import PageRoute, PosterDep, ViewerDep, redirect, render

router = APIRouter(route_class=PageRoute)


@router.get("/environments/{name}/quota")
def quota_page(request: Request, viewer: ViewerDep, name: str) -> Response:
    caller = viewer.caller
    caller.store.get_environment(name)
    caller.require(name, "view")
    view = quotas.show_quota(caller.store, name)
    try:
        require_env_admin(caller, name)
        may_edit = True
    except ForbiddenError:  # a viewer sees the quota, without the form
        may_edit = False
    rows = quotas.describe_used(view)
    return render(request, "quota.html", view=view, rows=rows, may_edit=may_edit)


@router.post("/environments/{name}/quota")
def set_quota(viewer: PosterDep, name: str, lines: Annotated[str, Form()] = "") -> Response:
    require_env_admin(viewer.caller, name)
    hard, container = parse_lines(lines)
    quotas.set_quota(
        viewer.caller.store,
        name,
        hard=hard,
        container=container,
        author=viewer.name,
        via="console",
    )
    return redirect(f"/environments/{name}/quota")


@router.post("/environments/{name}/quota/clear")
def clear_quota(viewer: PosterDep, name: str) -> Response:
    require_env_admin(viewer.caller, name)
    quotas.clear_quota(viewer.caller.store, name, author=viewer.name, via="console")
    return redirect(f"/environments/{name}/quota")


def parse_lines(
    text: str,
) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """``requests.cpu=4`` lines as quota keys, ``default.cpu=500m`` as container entries;
    InputError naming the line at fault."""
    hard: dict[str, str] = {}
    container: dict[tuple[str, str], str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        where = f"line {number} ({key.strip()})"
        if not sep:
            raise InputError(f"line {number}: {line!r} is not KEY=QUANTITY")
        field, dot, resource = key.strip().partition(".")
        if dot and field in rules.CONTAINER_FIELDS:
            entry = rules.check_container_entry(field, resource, value.strip(), where)
            container[(field, resource)] = entry
            continue
        stored = rules.check_key(key.strip(), where)
        hard[stored] = rules.check_value(stored, value.strip(), where)
    return hard, container
