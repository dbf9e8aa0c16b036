"""Read-only views of an application: its rendered services, their summary, its graph."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kapstan.actions.refs import Ref
from kapstan.actions.rendering import RenderedAppVersion, render_application
from kapstan.actions.storeports import AppState, RenderInputs, StateReads
from kapstan.actions.templates import load_template
from kapstan.errors import InputError
from kapstan.model.rendered import RenderedService
from kapstan.plan.graph import Graph, graph_of
from kapstan.store import Revision


@dataclass(frozen=True)
class ServiceSummary:
    """One service: its workload kinds, relations, content hash and latest revision."""

    name: str
    kinds: tuple[str, ...]
    depends_on: tuple[str, ...]
    calls: tuple[str, ...]
    hash: str
    latest_revision: Revision | None


def render_app_for(
    store: RenderInputs, app: str, services: Sequence[str] = ()
) -> tuple[RenderedAppVersion, tuple[RenderedService, ...]]:
    """``app`` rendered at its current versions; only ``services`` when given."""
    version = render_application(store, app)
    known = version.rendered.services
    unknown = [s for s in services if s not in known]
    if unknown:
        raise InputError(
            f"application {app!r} has no service {', '.join(map(repr, unknown))}; "
            f"its services are: {', '.join(known)}"
        )
    return version, tuple(known[s] for s in (services or known))


def app_services(
    store: AppState, app: str, *, rendered_app: RenderedAppVersion | None = None
) -> list[ServiceSummary]:
    """``rendered_app``: ``app`` already rendered at its current versions, if the caller has it."""
    version = rendered_app or render_application(store, app)
    out: list[ServiceSummary] = []
    for name, rendered in version.rendered.services.items():
        spec = version.template.services[name]
        kinds = tuple(dict.fromkeys(str(obj.get("kind")) for obj in rendered.objects))
        latest = store.latest_revision(app, name, status=None)
        out.append(ServiceSummary(name, kinds, spec.depends_on, spec.calls, rendered.hash, latest))
    return out


def app_graph(store: StateReads, app: str) -> Graph:
    """The dependency graph of the template version ``app`` uses, named after the app."""
    application = store.get_application(app)
    details = load_template(store, Ref(application.template, application.template_version))
    graph = graph_of(details.template)
    return Graph(app, graph.services, graph.depends_on, graph.calls, graph.lines)
