"""Read-only views of an application: render, services, graph, changes, history, diff."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from kapstan import schemas
from kapstan.actions import apphistory, appviews
from kapstan.actions.changes import app_changes
from kapstan.api import convert
from kapstan.api.auth import CallerDep
from kapstan.api.pagination import WindowDep, paged
from kapstan.plan.graph import waves
from kapstan.plan.graphviews import format_dot, format_mermaid, format_text
from kapstan.render.redaction import redact_objects

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])
ServicesQuery = Annotated[list[str] | None, Query(description="Only these services (repeatable).")]
TEXT_FORMATS = {"text": format_text, "dot": format_dot, "mermaid": format_mermaid}


@router.get("/{app}/render")
def render(
    caller: CallerDep, app: str, service: ServicesQuery = None
) -> list[schemas.RenderedServiceOut]:
    """The rendered manifests of each service; Secret values are ``<redacted>``."""
    caller.application(app, "view")
    _, rendered = appviews.render_app_for(caller.store, app, service or [])
    return [
        schemas.RenderedServiceOut(service=r.name, hash=r.hash, objects=redact_objects(r.objects))
        for r in rendered
    ]


@router.get("/{app}/services")
def services(caller: CallerDep, app: str) -> list[schemas.ServiceOut]:
    caller.application(app, "view")
    return [convert.service_summary(s) for s in appviews.app_services(caller.store, app)]


@router.get(
    "/{app}/graph",
    response_model=schemas.GraphOut,
    responses={
        200: {
            "content": {"text/plain": {}},
            "description": "JSON, or text/dot/mermaid as text/plain",
        }
    },
)
def graph(
    caller: CallerDep, app: str, format: Literal["json", "text", "dot", "mermaid"] = "json"
) -> schemas.GraphOut | PlainTextResponse:
    caller.application(app, "view")
    found = appviews.app_graph(caller.store, app)
    if format != "json":
        return PlainTextResponse(TEXT_FORMATS[format](found))
    nodes = [
        schemas.GraphNode(name=s, depends_on=list(found.depends_on[s]), calls=list(found.calls[s]))
        for s in found.services
    ]
    return schemas.GraphOut(app=found.name, services=nodes, waves=waves(found))


@router.get("/{app}/changes")
def changes(
    caller: CallerDep,
    app: str,
    template_version: Annotated[schemas.StoredInt | None, Query(alias="templateVersion")] = None,
    config_version: Annotated[schemas.StoredInt | None, Query(alias="configVersion")] = None,
) -> schemas.ChangesOut:
    """Services whose rendered output differs at these versions (default: the latest)."""
    caller.application(app, "view")
    found = app_changes(
        caller.store, app, template_version=template_version, config_version=config_version
    )
    return convert.changes(found)


@router.get("/{app}/history")
def history(
    caller: CallerDep, app: str, at: WindowDep, service: str | None = None, deleted: bool = False
) -> schemas.Page[schemas.RevisionOut]:
    """Revisions by service then number; ``deleted``: of the last deleted app of that name."""
    if deleted:
        caller.deleted_application(app, "view")
        found = caller.store.list_revisions(app, service, deleted=True)
        return paged(found, at, convert.revision)
    caller.application(app, "view")
    return paged(apphistory.app_history(caller.store, app, service), at, convert.revision)


@router.get("/{app}/diff")
def diff(
    caller: CallerDep,
    app: str,
    service: str,
    old: schemas.StoredInt,
    new: schemas.StoredInt,
    managed: bool = False,
) -> schemas.RevisionDiffOut:
    """Two revisions of one service: unified and per-field diffs (revisions are redacted);
    Kapstan's ``kapstan.io/*`` labels and annotations only with ``managed=true``."""
    caller.application(app, "view")
    found = apphistory.app_diff(caller.store, app, service, old, new, managed=managed)
    return convert.revision_diff(found)
