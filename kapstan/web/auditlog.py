"""The audit log page: administrators see everything; others one environment they may view."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from kapstan.web.common import PageRoute, ViewerDep, render

router = APIRouter(route_class=PageRoute)
PAGE = 100


@router.get("/audit")
def audit_page(
    request: Request, viewer: ViewerDep, environment: str = "", offset: int = 0
) -> Response:
    caller = viewer.caller
    visible = [e.name for e in caller.store.list_environments() if caller.can(e.name, "view")]
    if not environment and not caller.user.admin and visible:
        environment = visible[0]  # a non-administrator reads one environment at a time
    if environment:
        caller.require(environment, "view")
    else:
        caller.require_admin("reading the whole audit log (choose one environment)")
    entries = caller.store.list_audit(
        limit=PAGE + 1, offset=max(0, offset), environment=environment or None
    )
    return render(
        request,
        "audit.html",
        entries=entries[:PAGE],
        more=len(entries) > PAGE,
        offset=offset,
        environment=environment,
        environments=visible,
        page=PAGE,
    )
