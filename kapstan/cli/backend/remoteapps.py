"""Applications on a Kapstan server: each answer decoded back into the record the local
action returns (``AppDetails``, ``AppChanges``, ``ServiceSummary``, ``Graph``,
``RevisionDiff``...), so the commands format both alike.

What the server never sends is left empty: a rendered service's ``inputs``/``sources``, a
revision's ``manifests``. Rendered objects arrive with Secret data already ``<redacted>``,
as every local view prints them. Apart from ``kapstan.cli.backend.apps`` so that the local
commands load neither the API's schemas nor the HTTP client.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast, get_args

from kapstan import schemas as s
from kapstan.actions.apphistory import RevisionDiff
from kapstan.actions.applications import AppDetails, AppUpdate
from kapstan.actions.appviews import ServiceSummary
from kapstan.actions.changes import AppChanges
from kapstan.actions.refs import Ref
from kapstan.client import decode
from kapstan.client.http import ApiClient, ServerError, path
from kapstan.model.changes import ChangeKind, ServiceChange
from kapstan.model.rendered import RenderedService
from kapstan.plan.diffs import FieldChange, ResourceChange
from kapstan.plan.graph import Graph
from kapstan.render.resources import ResourceKey
from kapstan.store import Application, Revision


class RemoteApps:
    """The server checks the caller's role on the app's environment and records the author."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def create(
        self, name: str, *, template: Ref, environment: str, config: Ref | None, author: str
    ) -> Application:
        body = {
            "name": name,
            "template": template.name,
            "templateVersion": template.version,
            "environment": environment,
            "config": config.name if config else None,
            "configVersion": config.version if config else None,
        }
        return decode.application(self.client.post(path("applications"), body))

    def details(self, name: str) -> AppDetails:
        data = self.client.get(path("applications", name))
        out = decode.parse(s.ApplicationOut, data)
        if out.effective_config_version is None:
            raise ServerError(
                f"the server did not say which config version application {name!r} uses; "
                "are the CLI and the server the same Kapstan version?"
            )
        env = decode.environment(self.client.get(path("environments", out.environment)))
        return AppDetails(
            decode.application(data), env, out.effective_config_version, tuple(out.services)
        )

    def changes(
        self, name: str, *, template_version: int | None, config_version: int | None
    ) -> AppChanges:
        data = self.client.get(
            path("applications", name, "changes"),
            templateVersion=template_version,
            configVersion=config_version,
        )
        return app_changes_of(decode.parse(s.ChangesOut, data))

    def update(
        self, name: str, *, template_version: int | None, config_version: int | None, author: str
    ) -> AppUpdate:
        body = {"templateVersion": template_version, "configVersion": config_version}
        data = self.client.patch(path("applications", name), body)
        updated = decode.parse(s.ApplicationUpdateOut, data)
        return AppUpdate(decode.application(data), app_changes_of(updated.changes))

    def render(self, name: str, services: Sequence[str]) -> tuple[RenderedService, ...]:
        data = self.client.get(path("applications", name, "render"), service=list(services))
        return tuple(rendered_service(decode.parse(s.RenderedServiceOut, x)) for x in data)

    def services(self, name: str) -> list[ServiceSummary]:
        data = self.client.get(path("applications", name, "services"))
        return [service_summary(decode.parse(s.ServiceOut, x), name) for x in data]

    def graph(self, name: str) -> Graph:
        # JSON, formatted here: text, DOT and Mermaid come out as the local ones do.
        data = self.client.get(path("applications", name, "graph"), format="json")
        return graph_of(decode.parse(s.GraphOut, data))

    def history(self, name: str, service: str | None) -> list[Revision]:
        found = self.client.pages(path("applications", name, "history"), service=service)
        return [decode.revision(r, name) for r in found]

    def diff(
        self, name: str, service: str, old: int, new: int, *, managed: bool = False
    ) -> RevisionDiff:
        data = self.client.get(
            path("applications", name, "diff"),
            service=service,
            old=old,
            new=new,
            managed=managed,
        )
        return revision_diff(decode.parse(s.RevisionDiffOut, data), name)

    def list(self) -> list[Application]:
        return [decode.application(a) for a in self.client.pages(path("applications"))]


# --- the API's answers -> the actions' records ----------------------------------------------


def app_changes_of(c: s.ChangesOut) -> AppChanges:
    return AppChanges(
        c.app,
        c.template,
        c.config,
        c.from_template,
        c.to_template,
        c.from_config,
        c.to_config,
        tuple(service_change(x) for x in c.changes),
    )


def service_change(x: s.ServiceChangeOut) -> ServiceChange:
    return ServiceChange(
        x.service,
        change_kind(x.kind, "service change"),
        x.old_hash,
        x.new_hash,
        tuple(x.keys),
        tuple(x.files),
        tuple(x.notes),
    )


def rendered_service(x: s.RenderedServiceOut) -> RenderedService:
    return RenderedService(x.service, tuple(x.objects), x.hash, inputs={}, sources={})


def service_summary(x: s.ServiceOut, app: str) -> ServiceSummary:
    latest = decode.revision(x.latest_revision.model_dump(), app) if x.latest_revision else None
    return ServiceSummary(
        x.service, tuple(x.kinds), tuple(x.depends_on), tuple(x.calls), x.hash, latest
    )


def graph_of(g: s.GraphOut) -> Graph:
    return Graph(
        g.app,
        tuple(n.name for n in g.services),
        {n.name: tuple(n.depends_on) for n in g.services},
        {n.name: tuple(n.calls) for n in g.services},
    )


def revision_diff(d: s.RevisionDiffOut, app: str) -> RevisionDiff:
    return RevisionDiff(
        decode.revision(d.old.model_dump(), app),
        decode.revision(d.new.model_dump(), app),
        d.unified,
        tuple(resource_change(c) for c in d.structured),
    )


def resource_change(c: s.ResourceChangeOut) -> ResourceChange:
    return ResourceChange(
        ResourceKey(c.group, c.kind, c.namespace, c.name),
        change_kind(c.action, "resource change"),
        tuple(FieldChange(f.path, f.old, f.new) for f in c.fields),
    )


def change_kind(text: str, what: str) -> ChangeKind:
    """A service's or a resource's change (both are added, removed or changed)."""
    if text not in get_args(ChangeKind):
        raise ServerError(f"the server sent an unknown {what} {text!r}")
    return cast(ChangeKind, text)
