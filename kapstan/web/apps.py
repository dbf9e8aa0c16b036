"""One application's pages: services and status, per service its pods, events and failing
logs (``diagnose``), graph, history and diffs; plan, deploy,
roll back, cancel the running operation, update to the latest versions; creating an application from a template.

Writes check the same permissions as the API (``deploy``, ``rollback``) and go through the
same flows (``kapstan.api.flows.deploys``: approval gate, runner, audit).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from markupsafe import Markup

from kapstan.actions import apphistory, applications, appviews
from kapstan.actions.cancelling import cancel_app
from kapstan.actions.deploying import plan_app, plan_rollback, policy_warnings
from kapstan.actions.diagnose import diagnose
from kapstan.actions.drift import DriftView, drift_view
from kapstan.actions.hints import pinned_hints
from kapstan.actions.refs import Ref
from kapstan.actions.rendering import RenderedAppVersion, render_application
from kapstan.actions.status import Connector, ServiceStatus, app_status
from kapstan.api import auditing
from kapstan.api.flows import deploys
from kapstan.api.state import clusters_of, runner_of
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import KapstanError
from kapstan.plan.graph import Graph
from kapstan.store import Revision
from kapstan.web.common import PageCaller, PageRoute, PosterDep, ViewerDep, redirect, render
from kapstan.web.dotlayout import dot_layout
from kapstan.web.graphlayout import column_layout
from kapstan.web.sidebyside import side_by_side
from kapstan.web.svg import graph_svg

router = APIRouter(route_class=PageRoute)
DEPLOY_TIMEOUT = 300.0


def _statuses(
    viewer: PageCaller, app: str, clients: Connector, rendered: RenderedAppVersion | None
) -> tuple[list[ServiceStatus], str]:
    """Live status per service, or none and why the cluster could not be read."""
    try:
        return app_status(viewer.caller.store, app, clients=clients, rendered_app=rendered), ""
    except KapstanError as exc:
        return [], exc.message


def _graph_picture(graph: Graph, health: dict[str, str]) -> tuple[Markup, str]:
    """The graph as SVG laid out by Graphviz, or, if Graphviz cannot, with straight lines
    and why (the page says so rather than failing: the picture is not the page's point)."""
    try:
        layout, note = dot_layout(graph), ""
    except KapstanError as exc:
        layout, note = column_layout(graph), exc.message
    return Markup(graph_svg(graph, layout, health)), note  # graph_svg escapes every name


def _rendered(viewer: PageCaller, app: str) -> RenderedAppVersion | None:
    """``app`` rendered once for the whole page; None if it does not render, and then each
    part of the page tries (and fails) on its own, as it says."""
    try:
        return render_application(viewer.caller.store, app)
    except KapstanError:
        return None


@router.get("/apps/{app}")
def app_page(request: Request, viewer: ViewerDep, app: str) -> Response:
    caller = viewer.caller
    application = caller.application(app, "view")
    clients, rendered = clusters_of(request).connect, _rendered(viewer, app)
    statuses, unreachable = _statuses(viewer, app, clients, rendered)
    health = {s.service: s.health.status.value for s in statuses}
    graph, graph_note = _graph_picture(appviews.app_graph(caller.store, app), health)
    revisions = apphistory.app_history(caller.store, app)
    return render(
        request,
        "app.html",
        app=application,
        services=appviews.app_services(caller.store, app, rendered_app=rendered),
        status={s.service: s for s in statuses},
        unreachable=unreachable,
        graph=graph,
        graph_note=graph_note,
        revisions=_with_previous(revisions),
        operations=caller.store.list_operations(app, 20),
        may_deploy=caller.can(application.environment, "deploy"),
        may_rollback=caller.can(application.environment, "rollback"),
        may_delete=caller.can(application.environment, "delete"),
        diagnoses=diagnose(caller.store, app, clients=clients, rendered_app=rendered),
        drift=_drift(viewer, app),
    )


def _drift(viewer: PageCaller, app: str) -> DriftView | None:
    """The last drift check (the server's, or ``app drift``); None if it cannot be read."""
    try:
        return drift_view(viewer.caller.store, app)
    except KapstanError:
        return None


def _with_previous(revisions: list[Revision]) -> list[tuple[Revision, int | None]]:
    """Newest first, each with the number of the same service's revision before it."""
    last: dict[str, int] = {}
    out: list[tuple[Revision, int | None]] = []
    for revision in revisions:
        out.append((revision, last.get(revision.service)))
        last[revision.service] = revision.number
    return sorted(out, key=lambda pair: pair[0].created_at, reverse=True)


@router.get("/apps/{app}/plan")
def plan_page(request: Request, viewer: ViewerDep, app: str, service: str = "") -> Response:
    """What a deploy would do, with per-resource diffs, and the button that confirms it."""
    application = viewer.caller.application(app, "view")
    services = [service] if service else []
    plans = plan_app(viewer.caller.store, app, services)
    warnings = policy_warnings(viewer.caller.store, app, services)
    adoptable = any(c.adoptable for p in plans for c in p.conflicts)
    return render(
        request,
        "plan.html",
        app=application,
        plans=plans,
        warnings=warnings,
        hints=pinned_hints(viewer.caller.store, app),
        service=service,
        adoptable=adoptable,
        may_deploy=viewer.caller.can(application.environment, "deploy"),
    )


@router.post("/apps/{app}/deploy")
def deploy(
    request: Request,
    viewer: PosterDep,
    app: str,
    service: Annotated[str, Form()] = "",
    message: Annotated[str, Form()] = "",
    adopt: Annotated[str, Form()] = "",
) -> Response:
    viewer.caller.application(app, "deploy")
    options = DeployOptions(timeout=DEPLOY_TIMEOUT, message=message, adopt=bool(adopt))
    started = deploys.request_deploy(
        viewer.caller.store,
        runner_of(request),
        app=app,
        author=viewer.name,
        services=[service] if service else [],
        options=options,
        trigger="console",
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


@router.get("/apps/{app}/rollback")
def rollback_plan_page(
    request: Request, viewer: ViewerDep, app: str, service: str = "", to: str = ""
) -> Response:
    """What a rollback would do, and the button that confirms it (as a deploy's plan)."""
    application = viewer.caller.application(app, "view")
    plans, warnings = plan_rollback(
        viewer.caller.store,
        app,
        service=service or None,
        to=int(to) if to.strip().isdigit() else None,
    )
    return render(
        request,
        "plan.html",
        app=application,
        plans=plans,
        warnings=warnings,
        service=service,
        rollback_to=to.strip(),
        rollback=True,
        may_deploy=viewer.caller.can(application.environment, "rollback"),
    )


@router.post("/apps/{app}/rollback")
def rollback(
    request: Request,
    viewer: PosterDep,
    app: str,
    service: Annotated[str, Form()] = "",
    to: Annotated[str, Form()] = "",
) -> Response:
    """Roll one service (or the whole app) back to its previous (or ``to``) revision."""
    viewer.caller.application(app, "rollback")
    started = deploys.request_rollback(
        viewer.caller.store,
        runner_of(request),
        app=app,
        author=viewer.name,
        service=service or None,
        to=int(to) if to.strip() else None,
        options=DeployOptions(timeout=DEPLOY_TIMEOUT),
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


@router.post("/apps/{app}/cancel")
def cancel(viewer: PosterDep, app: str) -> Response:
    """Ask the app's running operation to stop (audited); show that operation."""
    viewer.caller.application(app, "deploy")
    op = cancel_app(viewer.caller.store, app, author=viewer.name)
    return redirect(f"/apps/{app}/operations/{op.id}")


@router.post("/apps/{app}/update")
def update(request: Request, viewer: PosterDep, app: str) -> Response:
    """Point the app at the latest template and config versions (no deploy)."""
    viewer.caller.application(app, "deploy")
    applications.move_app(viewer.caller.store, app, author=viewer.name, via="console")
    return redirect(f"/apps/{app}/plan")


@router.get("/apps/{app}/diff")
def diff_page(
    request: Request, viewer: ViewerDep, app: str, service: str, old: int, new: int
) -> Response:
    """Two revisions of one service side by side (revisions are stored redacted)."""
    application = viewer.caller.application(app, "view")
    found = apphistory.app_diff(viewer.caller.store, app, service, old, new)
    rows = side_by_side(found.old.manifests, found.new.manifests)
    return render(request, "diff.html", app=application, service=service, diff=found, rows=rows)


@router.post("/apps")
def create(
    request: Request,
    viewer: PosterDep,
    name: Annotated[str, Form()],
    template: Annotated[str, Form()],
    environment: Annotated[str, Form()],
) -> Response:
    """A new application from the latest version of ``template`` with the environment's config."""
    viewer.caller.require(environment, "deploy")
    created = applications.create_app(
        viewer.caller.store,
        name,
        template=Ref(template, None),
        environment=environment,
        author=viewer.name,
    )
    auditing.record(
        viewer.caller.store,
        viewer.name,
        "app.create",
        kind="application",
        name=created.name,
        environment=created.environment,
        to_version=created.template_version,
        details={
            "template": f"{created.template}@{created.template_version}",
            "config": created.config,
            "configVersion": created.config_version,
            "via": "console",
        },
    )
    return redirect(f"/apps/{created.name}")
