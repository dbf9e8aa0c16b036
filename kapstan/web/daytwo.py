"""An application page's live parts: the log tail (Server-Sent Events of HTML lines) and the
per-service CPU/memory chart, each loaded on demand so the page itself stays one read.

/ui/apps/{app}/logs/tail     the tail's frame (htmx swaps it in): connects to the stream
/ui/apps/{app}/logs/stream   ``line`` / ``notice`` events, each one escaped ``<div>``; ``end``
/ui/apps/{app}/usage         the chart (``usagechart``), or why there is none

The stream is the API's (``kapstan.api.routers.diagnosis.log_events``) with HTML instead
of JSON; a console tail follows for ``FOLLOW_SECONDS`` at most (reload to go on).
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from markupsafe import Markup
from sse_starlette import EventSourceResponse, ServerSentEvent

from kapstan.actions import podlogs, usage
from kapstan.actions.diagnose import app_scope
from kapstan.actions.podlogs import LogItem, LogLine, LogQuery
from kapstan.api.routers.diagnosis import log_events
from kapstan.api.state import clusters_of
from kapstan.errors import KapstanError
from kapstan.web.common import PageRoute, ViewerDep, render
from kapstan.web.usagechart import usage_svg

router = APIRouter(route_class=PageRoute)
FOLLOW_SECONDS = 600.0
TAIL = 50  # lines per container shown when the tail starts


@router.get("/apps/{app}/logs/tail")
def log_tail(request: Request, viewer: ViewerDep, app: str, service: str = "") -> Response:
    viewer.caller.application(app, "view")
    services = [service] if service else []
    app_scope(viewer.caller.store, app, services)  # an unknown service: the error page
    return render(request, "_logtail.html", app=app, service=service)


@router.get("/apps/{app}/logs/stream")
def log_stream(
    viewer: ViewerDep, app: str, service: str = "", follow: bool = Query(True)
) -> EventSourceResponse:
    viewer.caller.application(app, "view")
    query = LogQuery(
        services=(service,) if service else (),
        follow=follow,
        tail=TAIL,
        follow_for=FOLLOW_SECONDS,
    )
    app_scope(viewer.caller.store, app, query.services)
    store = viewer.caller.store
    return EventSourceResponse(
        log_events(lambda: podlogs.open_logs(store, app, query), html_event), ping=15
    )


def html_event(item: LogItem) -> ServerSentEvent:
    """One line (or notice) as the ``<div>`` the page appends."""
    if isinstance(item, LogLine):
        stamp = Markup('<time title="{0}">{1}</time> ').format(item.time, item.time[11:19])
        html = Markup('<div class="logline"><span class="src">[{0}]</span> {1}{2}</div>').format(
            item.source, stamp if item.time else "", item.text
        )
        return ServerSentEvent(data=str(html), event="line")
    where = "/".join(p for p in (item.service, item.pod, item.container) if p)
    html = Markup('<div class="lognotice">{0}{1}</div>').format(
        f"{where}: " if where else "", item.message
    )
    return ServerSentEvent(data=str(html), event="line")


@router.get("/apps/{app}/usage")
def usage_chart(request: Request, viewer: ViewerDep, app: str) -> Response:
    """The chart as a fragment; a cluster without a metrics API is a message in its place."""
    viewer.caller.application(app, "view")
    try:
        found = usage.app_usage(viewer.caller.store, app, clients=clusters_of(request).connect)
    except KapstanError as exc:
        return render(request, "_usage.html", chart=None, error=exc.message, usages=[])
    return render(request, "_usage.html", chart=Markup(usage_svg(found)), error="", usages=found)
