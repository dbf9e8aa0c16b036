"""Records and action results -> response models. Every config value goes through ``shown``."""

from __future__ import annotations

from typing import Any

from kapstan import schemas as s
from kapstan.actions.apphistory import RevisionDiff
from kapstan.actions.appviews import ServiceSummary
from kapstan.actions.changes import AppChanges
from kapstan.actions.configs import ConfigHistoryEntry
from kapstan.actions.status import ServiceStatus
from kapstan.actions.templates import TemplateDetails
from kapstan.api.flows.triggers import Triggered
from kapstan.engine.planning import ServicePlan
from kapstan.model.autoscaling import AutoscalerStatus
from kapstan.model.operation import Operation, ServiceState
from kapstan.model.values import REDACTED, SecretValue, Value
from kapstan.plan.configdiff import ConfigDiff, KeyChange
from kapstan.plan.ownership import Conflict
from kapstan.render.variables import extract_variables
from kapstan.store import (
    Application,
    ConfigVersion,
    Environment,
    Revision,
    TemplateVersion,
)


def shown(value: Value) -> s.JsonScalar:
    """A value a response may carry: a secret is always ``<redacted>``."""
    return REDACTED if isinstance(value, SecretValue) else value


def template_version(v: TemplateVersion) -> s.TemplateVersionOut:
    return s.TemplateVersionOut(
        name=v.name,
        version=v.version,
        digest=v.digest,
        author=v.author,
        message=v.message,
        created_at=v.created_at,
    )


def template_files(v: TemplateVersion) -> s.TemplateFilesOut:
    return s.TemplateFilesOut(**template_version(v).model_dump(), files=dict(v.files))


def template(details: TemplateDetails) -> s.TemplateOut:
    v = details.version
    services = [
        s.ServiceSpecOut(
            name=spec.name,
            manifests=list(spec.manifests),
            depends_on=list(spec.depends_on),
            calls=list(spec.calls),
            delivered_keys=list(spec.delivered_keys),
        )
        for spec in details.template.services.values()
    ]
    variables = [
        s.VariableOut(
            key=var.key,
            has_default=var.has_default,
            default=var.default,
            services=list(var.services),
        )
        for var in extract_variables(details.template)
    ]
    return s.TemplateOut(
        **template_version(v).model_dump(),
        services=services,
        files=sorted(v.files),
        variables=variables,
    )


def config_version(v: ConfigVersion) -> s.ConfigVersionOut:
    return s.ConfigVersionOut(
        name=v.name,
        version=v.version,
        author=v.author,
        message=v.message,
        created_at=v.created_at,
        keys=len(v.values),
    )


def config(v: ConfigVersion) -> s.ConfigOut:
    secrets = sorted(k for k, value in v.values.items() if isinstance(value, SecretValue))
    values = {k: shown(value) for k, value in v.values.items()}
    return s.ConfigOut(**config_version(v).model_dump(), values=values, secret_keys=secrets)


def key_change(c: KeyChange) -> s.KeyChangeOut:
    return s.KeyChangeOut(key=c.key, old=shown(c.old), new=shown(c.new), secret=c.secret)


def config_diff(d: ConfigDiff) -> s.ConfigDiffOut:
    return s.ConfigDiffOut(
        added=[key_change(c) for c in d.added],
        removed=[key_change(c) for c in d.removed],
        changed=[key_change(c) for c in d.changed],
    )


def config_history(e: ConfigHistoryEntry) -> s.ConfigHistoryOut:
    return s.ConfigHistoryOut(
        **config_version(e.version).model_dump(), changes=config_diff(e.changes)
    )


def environment(e: Environment, reach: tuple[bool, str] | None = None) -> s.EnvironmentOut:
    return s.EnvironmentOut(
        name=e.name,
        kubeconfig=e.kubeconfig,
        namespace=e.namespace,
        context=e.context,
        config=e.config,
        requires_approval=bool(getattr(e, "requires_approval", False)),
        created_at=e.created_at,
        reachable=reach[0] if reach else None,
        reachability=reach[1] if reach else None,
        allowed_namespaces=list(e.allowed_namespaces),
        allowed_kinds=list(e.allowed_kinds),
        impersonate=e.impersonate,
        shared=e.shared,
        namespace_created=e.namespace_created,
        cluster=e.cluster,
        self_heal=e.self_heal,
    )


def application(
    a: Application,
    *,
    auto_deploy: bool = False,
    services: list[str] | None = None,
    health: dict[str, str] | None = None,
    effective_config_version: int | None = None,
) -> s.ApplicationOut:
    return s.ApplicationOut(
        name=a.name,
        template=a.template,
        template_version=a.template_version,
        environment=a.environment,
        config=a.config,
        config_version=a.config_version,
        created_at=a.created_at,
        updated_at=a.updated_at,
        auto_deploy=auto_deploy,
        services=services or [],
        health=health,
        effective_config_version=effective_config_version or a.config_version,
    )


def changes(c: AppChanges) -> s.ChangesOut:
    return s.ChangesOut(
        app=c.app,
        template=c.template,
        config=c.config,
        from_template=c.from_template,
        to_template=c.to_template,
        from_config=c.from_config,
        to_config=c.to_config,
        changes=[
            s.ServiceChangeOut(
                service=x.service,
                kind=x.kind,
                old_hash=x.old_hash,
                new_hash=x.new_hash,
                keys=list(x.keys),
                files=list(x.files),
                notes=list(x.notes),
                description=x.describe(),
            )
            for x in c.changes
        ],
    )


def service_summary(x: ServiceSummary) -> s.ServiceOut:
    latest = x.latest_revision
    return s.ServiceOut(
        service=x.name,
        kinds=list(x.kinds),
        depends_on=list(x.depends_on),
        calls=list(x.calls),
        hash=x.hash,
        revision=latest.number if latest else None,
        latest_revision=revision(latest) if latest else None,
    )


def conflict(c: Conflict | None) -> s.ConflictOut | None:
    if c is None:
        return None
    return s.ConflictOut(object=c.resource, owner=c.owner, adoptable=c.adoptable, message=c.message)


def plan(p: ServicePlan) -> s.ServicePlanOut:
    return s.ServicePlanOut(
        service=p.service,
        action=p.action,
        content_hash=p.content_hash,
        color=p.color,
        live_color=p.live_color,
        resources=[
            s.ResourcePlanOut(
                resource=str(r.key), action=r.action, diff=r.diff, conflict=conflict(r.conflict)
            )
            for r in p.resources
        ],
        prune=[{k: str(v) for k, v in e.items()} for e in p.prune],
    )


def status(x: ServiceStatus) -> s.ServiceStatusOut:
    return s.ServiceStatusOut(
        service=x.service,
        revision=x.revision,
        revision_status=x.revision_status,
        ready=x.ready,
        desired=x.desired,
        health=x.health.status.value,
        message=x.health.message,
        outdated=x.outdated,
        drifted=x.drifted,
        autoscaler=autoscaler(x.autoscaler) if x.autoscaler else None,
    )


def autoscaler(a: AutoscalerStatus) -> s.AutoscalerOut:
    return s.AutoscalerOut(
        name=a.name,
        current=a.current,
        desired=a.desired,
        min=a.min,
        max=a.max,
        reason=a.reason,
        conditions=[
            s.ScalingConditionOut(type=c.type, status=c.status, reason=c.reason, message=c.message)
            for c in a.conditions
        ],
    )


def revision(r: Revision) -> s.RevisionOut:
    return s.RevisionOut(
        service=r.service,
        revision=r.number,
        status=r.status,
        template=f"{r.template}@{r.template_version}",
        config=f"{r.config}@{r.config_version}",
        hash=r.hash,
        author=r.author,
        message=r.message,
        created_at=r.created_at,
        operation_id=r.operation_id,
    )


def revision_diff(d: RevisionDiff) -> s.RevisionDiffOut:
    return s.RevisionDiffOut(
        old=revision(d.old),
        new=revision(d.new),
        unified=d.unified,
        structured=[
            s.ResourceChangeOut(
                resource=str(c.key),
                action=c.action,
                group=c.key.group,
                kind=c.key.kind,
                namespace=c.key.namespace,
                name=c.key.name,
                fields=[
                    s.FieldChangeOut(path=f.path, old=_plain(f.old), new=_plain(f.new))
                    for f in c.fields
                ],
            )
            for c in d.structured
        ],
    )


def _plain(value: Any) -> Any:
    return REDACTED if isinstance(value, SecretValue) else value


def operation(op: Operation, *, events: bool = True) -> s.OperationOut:
    return s.OperationOut(
        id=op.id,
        app=op.app,
        kind=op.kind,
        status=op.status.value,
        author=op.author,
        started_at=op.started_at,
        finished_at=op.finished_at,
        message=op.message,
        services=[service_state(x) for x in op.services],
        events=[event(e) for e in op.events] if events else [],
    )


def service_state(x: ServiceState) -> s.ServiceStateOut:
    return s.ServiceStateOut(
        service=x.service, step=x.step.value, message=x.message, revision=x.revision
    )


def event(e: Any) -> s.EventOut:
    return s.EventOut(
        at=e.at, service=e.service, resource=e.resource, status=e.status, message=e.message
    )


def triggered(t: Triggered) -> s.TriggeredOut:
    started = t.started
    return s.TriggeredOut(
        app=t.app,
        services=list(t.services),
        message=t.message,
        operation_id=started.operation_id if started else None,
        approval_id=started.approval_id if started else None,
    )
