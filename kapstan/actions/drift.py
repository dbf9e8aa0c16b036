"""Drift: an application's live objects checked against their last deployed revisions; healed.

    per service: its last revision -> rendered again at that revision's template and config
    versions (revisions keep no secret values) -> per object: the live object and the
    server-side apply dry-run of it -> ``plan.drift`` -> recorded (``store.drift``)

A dry run changes nothing and goes through the engine's port as a plan's does, with
the replicas an autoscaler owns left out (``plan.scaling``) and the colour a blue-green
service runs now. Healing re-applies the drifted services at their last revisions'
versions as one normal deploy operation by ``kapstan:self-heal`` (the approval gate, the
policy and the boundary all apply), and audits it as ``app.heal``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime

from kapstan.actions.clusters import environment_client
from kapstan.actions.deploying import deploy_app
from kapstan.actions.rendering import render_services_at
from kapstan.actions.status import Connector
from kapstan.actions.storeports import Drifting, Healing
from kapstan.actions.templates import parsed
from kapstan.engine import bluegreen
from kapstan.engine.deploy import DeployOptions
from kapstan.engine.planning import Surroundings
from kapstan.engine.ports import Cluster
from kapstan.errors import ClusterError, KapstanError
from kapstan.kube import connect
from kapstan.model.rendered import KubeObject, RenderedService
from kapstan.plan import scaling
from kapstan.plan.drift import ServiceDrift, service_drift
from kapstan.plan.order import apply_order
from kapstan.render.labels import stamp_objects
from kapstan.store import Revision

HEALER = "kapstan:self-heal"
HEAL_AUDIT = "app.heal"
_SHOWN_FIELDS = 5  # in the heal operation's message; the audit lists them all


@dataclass(frozen=True)
class DriftReport:
    """One check of ``app``: each service's drift; ``healed_by``: the heal operation."""

    app: str
    environment: str
    services: tuple[ServiceDrift, ...]
    healed_by: int | None = None
    heal_note: str = ""  # why drift was not healed, or how the heal ended
    revisions: dict[str, Revision] = field(default_factory=dict, repr=False, compare=False)

    @property
    def drifted(self) -> list[ServiceDrift]:
        return [s for s in self.services if s.drifted]


def check_drift(store: Drifting, app: str, *, clients: Connector = connect) -> DriftReport:
    """Compare each deployed service of ``app`` with the cluster, and record what was found.

    A service never deployed, removed, or whose last revision did not end deployed (it
    failed, or an operation is applying it) is reported with a note, not compared.
    """
    application = store.get_application(app)
    env = store.get_environment(application.environment)
    template = parsed(store.get_template(application.template, application.template_version))
    latest = {s: store.latest_revision(app, s, status=None) for s in template.services}
    deployed = {s: r for s, r in latest.items() if r is not None and r.status == "deployed"}
    notes = {s: _note(r) for s, r in latest.items() if s not in deployed}
    found: dict[str, ServiceDrift] = {}
    if deployed:
        pairs = {s: (r.template_version, r.config_version) for s, r in deployed.items()}
        version = render_services_at(store, app, pairs)
        with environment_client(env, clients) as cluster:
            objects = {
                service: _revision_objects(
                    cluster, version.rendered.services[service], revision, env.name
                )
                for service, revision in deployed.items()
            }
            desired = [o for objs in objects.values() for o in objs]
            around = Surroundings.read(cluster, env.namespace, desired)
            for service, revision in deployed.items():
                found[service] = service_drift(
                    service, revision.number, _pairs(cluster, objects[service], around)
                )
        for drift in found.values():
            store.record_drift(
                app,
                drift.service,
                drifted=drift.drifted,
                revision=drift.revision,
                diff=drift.diff,
                fields=drift.fields,
            )
    services = tuple(found.get(s) or _unchecked(s, latest[s], notes) for s in template.services)
    return DriftReport(app, env.name, services, revisions=deployed)


def _unchecked(service: str, revision: Revision | None, notes: dict[str, str]) -> ServiceDrift:
    return ServiceDrift(service, revision.number if revision else None, note=notes.get(service, ""))


def _note(revision: Revision | None) -> str:
    if revision is None:
        return "never deployed: nothing to compare"
    if revision.status == "removed":
        return f"revision {revision.number} removed it: nothing is live"
    return f"last revision {revision.number} is {revision.status}: not compared"


def _revision_objects(
    cluster: Cluster, rendered: RenderedService, revision: Revision, environment: str
) -> list[KubeObject]:
    """The objects ``revision`` applied, stamped as the deploy stamped them, in the live
    colour of a blue-green service."""
    objects: list[KubeObject] = list(rendered.objects)
    if rendered.settings.strategy == "blue-green":
        color = bluegreen.live_color(cluster, objects)
        if color is not None:
            objects = bluegreen.colored(objects, color)
    return stamp_objects(
        apply_order(objects),
        template_version=revision.template_version,
        config_version=revision.config_version,
        revision=revision.number,
        content_hash=revision.hash,
        environment=environment,
    )


def _pairs(
    cluster: Cluster, objects: Sequence[KubeObject], around: Surroundings
) -> list[tuple[KubeObject | None, KubeObject, bool]]:
    """(live, what an apply would make of it, autoscaled) per object."""
    targets = around.targets(objects)
    out: list[tuple[KubeObject | None, KubeObject, bool]] = []
    for obj in objects:
        live = around.live.of(cluster, obj)
        shaped = scaling.shape(obj, live, targets)
        would_be = shaped
        if live is not None and around.dry_run_possible:
            # An immutable field refuses the dry run: compared as rendered.
            with suppress(ClusterError):
                would_be = cluster.apply(shaped, dry_run=True)
        out.append((live, would_be, scaling.autoscaled(obj, targets)))
    return out


def heal_drift(store: Healing, report: DriftReport) -> DriftReport:
    """Re-apply the drifted services of ``report`` at their last revisions, as one deploy
    operation by ``HEALER``, and audit it; the report says how it went."""
    drifted = report.drifted
    if not drifted:
        return report
    moved = [s.service for s in drifted if _moved_on(store, report, s.service)]
    if moved:
        # A deploy recorded another revision since the check: healing would undo it.
        return replace(report, heal_note=f"not healed: {', '.join(moved)} deployed since the check")
    services = [s.service for s in drifted]
    fields = [f"{s.service}: {f}" for s in drifted for f in s.fields]
    shown = ", ".join(fields[:_SHOWN_FIELDS]) + (" ..." if len(fields) > _SHOWN_FIELDS else "")
    message = f"self-heal: live state drifted from the last revision ({shown})"
    pairs = {
        s: (report.revisions[s].template_version, report.revisions[s].config_version)
        for s in services
    }
    try:
        result = deploy_app(
            store,
            report.app,
            author=HEALER,
            services=services,
            options=DeployOptions(force=True, message=message),
            version=render_services_at(store, report.app, pairs),
            trigger="self-heal",
        )
    except KapstanError as exc:
        # Held by another operation, or the environment asks for approval: the drift stays
        # recorded and shown, for a person (or the next check) to act on.
        return replace(report, heal_note=f"not healed: {exc.message}")
    operation = result.operation
    store.mark_drift_healed(report.app, services, operation.id)
    store.audit(
        HEALER,
        HEAL_AUDIT,
        kind="application",
        name=report.app,
        environment=report.environment,
        details={
            "operation": operation.id,
            "services": services,
            "revisions": {s: report.revisions[s].number for s in services},
            "fields": fields,
            "status": operation.status.value,
        },
    )
    note = f"healed by operation {operation.id} ({operation.status.value})"
    return replace(report, healed_by=operation.id, heal_note=note)


def _moved_on(store: Healing, report: DriftReport, service: str) -> bool:
    latest = store.latest_revision(report.app, service, status=None)
    return latest is None or latest.number != report.revisions[service].number


def check_and_heal(store: Healing, app: str, *, clients: Connector = connect) -> DriftReport:
    """The server's periodic step for one application: check, then heal where the
    environment says so."""
    report = check_drift(store, app, clients=clients)
    if report.drifted and store.get_environment(report.environment).self_heal:
        return heal_drift(store, report)
    return report


@dataclass(frozen=True)
class ServiceDriftView:
    """One service's drift as shown (CLI, API, console): the fresh check or the last one."""

    service: str
    revision: int | None
    drifted: bool
    fields: tuple[str, ...] = ()
    diff: str = ""
    note: str = ""
    checked_at: datetime | None = None
    healed_by: int | None = None


@dataclass(frozen=True)
class DriftView:
    app: str
    environment: str
    self_heal: bool
    services: tuple[ServiceDriftView, ...]
    healed_by: int | None = None
    heal_note: str = ""

    @property
    def drifted(self) -> bool:
        return any(s.drifted for s in self.services)


def drift_view(store: Drifting, app: str, report: DriftReport | None = None) -> DriftView:
    """``report`` (a check just made) with when each service was checked, or, without one,
    the last recorded check of each service of ``app``."""
    application = store.get_application(app)
    env = store.get_environment(application.environment)
    recorded = {d.service: d for d in store.list_drift(app)}
    if report is not None:
        names = [s.service for s in report.services]
        fresh = {s.service: s for s in report.services}
    else:
        template = store.get_template(application.template, application.template_version)
        names, fresh = list(parsed(template).services), {}
    services = []
    for name in names:
        last, now = recorded.get(name), fresh.get(name)
        if now is not None and (now.note or last is None):
            services.append(ServiceDriftView(name, now.revision, False, note=now.note))
        elif last is not None:
            services.append(
                ServiceDriftView(
                    name,
                    last.revision,
                    last.drifted,
                    last.fields,
                    last.diff,
                    checked_at=last.checked_at,
                    healed_by=last.healed_by,
                )
            )
        else:
            services.append(ServiceDriftView(name, None, False, note="not checked yet"))
    return DriftView(
        app,
        env.name,
        env.self_heal,
        tuple(services),
        report.healed_by if report else None,
        report.heal_note if report else "",
    )
