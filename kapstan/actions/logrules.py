"""Log collection per environment: its rules set, shown, cleared, and its collector applied.

The collector carries out the environment's own rules (``kapstan env logs set``) and the
rules of the templates of its applications (``logs:`` in kapstan.yaml; a template's rule
selects that application's services only). ``apply_collector`` renders them over the
services as last deployed (``kapstan.logrules``) and applies the collector's
ServiceAccount, ConfigMap and DaemonSet into the environment's namespace, as the
environment writes (its cluster, its identity); with nothing to collect it removes them.
What it applied is recorded with its uid (``log_rules.applied``): only those objects,
still carrying Kapstan's labels for this environment, are ever pruned.

Setting or clearing the environment's rules applies at once; so does every deploy into an
environment that collects logs (``follow_deploy``): a new service, a new workload or a
template whose rules changed is collected from that deploy on. ``kapstan env logs apply``
renders and applies it by hand (after a failed apply, say).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from kapstan.actions.boundary import prepare_namespace
from kapstan.actions.clusters import connect_environment
from kapstan.actions.envobjects import apply_owned, prune_owned
from kapstan.actions.removals import REMOVED, last_revisions
from kapstan.actions.storeports import AppState, LogRuleEdits
from kapstan.actions.templates import parsed
from kapstan.errors import ClusterError, KapstanError
from kapstan.kube import KubeClient
from kapstan.logrules.collector import Scope, render_config, unused_rules
from kapstan.logrules.objects import collector_objects, config_text
from kapstan.logrules.rules import parse_rules, to_json
from kapstan.logrules.targets import ServiceTarget, unmatched, workloads_of
from kapstan.model.logrules import LogRule
from kapstan.model.rendered import KubeObject
from kapstan.render.yamlnodes import load_data
from kapstan.render.yamlsafety import STORED_LIMITS
from kapstan.store import Environment


@dataclass(frozen=True)
class LogRulesView:
    """An environment's rules, the templates' rules, the collector configuration they
    render to (YAML), what was applied for it, and warnings (rules selecting nothing)."""

    environment: str
    namespace: str
    rules: tuple[LogRule, ...]
    template_rules: tuple[LogRule, ...]
    config: str
    applied: tuple[Mapping[str, str], ...]
    warnings: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


def stored_rules(env: Environment) -> tuple[LogRule, ...]:
    items = env.log_rules.get("rules") or []
    return parse_rules(items, lambda i: f"environment {env.name}'s log rules #{i + 1}")


def set_rules(
    store: LogRuleEdits, name: str, rules: Sequence[Mapping[str, Any]], *, author: str, via: str
) -> LogRulesView:
    """Make ``name``'s rules exactly ``rules`` (checked; InputError names rule and field),
    store them, and apply the collector at once."""
    env = store.get_environment(name)
    checked = parse_rules(list(rules), lambda i: f"log rules #{i + 1}")
    data = [to_json(r) for r in checked]
    store.set_environment_log_rules(name, {"rules": data, "applied": list(_applied(env))})
    store.audit(
        author,
        "environment.log-rules",
        kind="environment",
        name=name,
        environment=name,
        details={"rules": data, "via": via},
    )
    return apply_collector(store, name)


def clear_rules(store: LogRuleEdits, name: str, *, author: str, via: str) -> LogRulesView:
    """Take ``name``'s own rules away; the collector goes on for the templates' rules, or
    is removed when none is left."""
    return set_rules(store, name, [], author=author, via=via)


def show_rules(store: AppState, name: str) -> LogRulesView:
    """The rules and the collector configuration they render to now (no cluster read)."""
    env = store.get_environment(name)
    rules, template_rules, config, warnings = _render(store, env)
    text = config_text(config) if config["service"]["pipelines"] else ""
    return LogRulesView(
        env.name, env.namespace, rules, template_rules, text, _applied(env), warnings
    )


def apply_collector(store: LogRuleEdits, name: str) -> LogRulesView:
    """Render the collector from the rules over the deployed services and apply it (or
    remove it when nothing is to be collected); prunes only what it applied before."""
    env = store.get_environment(name)
    rules, template_rules, config, warnings = _render(store, env)
    scope = _scope(env)
    desired = collector_objects(config, scope)
    if not config["service"]["pipelines"]:
        desired = []  # a collector with no pipeline refuses to start: none at all
    previous = _applied(env)
    applied: list[dict[str, str]] = []
    removed: list[str] = []
    if desired or previous:  # nothing to write nor to remove: the cluster is not asked
        with _connected(env) as cluster:
            if desired:
                prepare_namespace(store, env, cluster)
            then = f"run `kapstan env logs apply {env.name}`"
            applied = [
                apply_owned(cluster, env, obj, what="log collector", then=then) for obj in desired
            ]
            removed = prune_owned(cluster, env, previous, keep=applied)
    text = config_text(config) if desired else ""
    stored = store.get_environment(name).log_rules
    store.set_environment_log_rules(name, {**stored, "applied": applied, "config": text})
    return LogRulesView(
        env.name,
        env.namespace,
        rules,
        template_rules,
        text,
        tuple(applied),
        warnings,
        tuple(removed),
    )


def follow_deploy(store: LogRuleEdits, name: str, template_has_rules: bool) -> str | None:
    """After a deploy into ``name``: the collector applied again when the environment
    collects logs (rules of its own, a collector applied, or the deployed template's
    rules); a line for the operation's journal, or None when it collects none."""
    env = store.get_environment(name)
    if not (env.log_rules.get("rules") or _applied(env) or template_has_rules):
        return None
    view = apply_collector(store, name)
    if not view.applied:
        return "log collector: no rule selects a deployed service (none runs)"
    changed = "updated" if view.config != _previous_config(env) else "unchanged"
    return f"log collector {changed} in namespace {view.namespace}"


def _previous_config(env: Environment) -> str:
    found = env.log_rules.get("config")
    return found if isinstance(found, str) else ""


def _render(
    store: AppState, env: Environment
) -> tuple[tuple[LogRule, ...], tuple[LogRule, ...], dict[str, Any], tuple[str, ...]]:
    rules = stored_rules(env)
    template_rules: list[LogRule] = []
    targets: list[ServiceTarget] = []
    for app in store.list_applications():
        if app.environment != env.name:
            continue
        app_targets = _deployed(store, app.name)
        targets += app_targets
        template = parsed(store.get_template(app.template, app.template_version))
        template_rules += [_qualified(rule, app.name, template.services) for rule in template.logs]
    every = (*rules, *template_rules)
    config = render_config(every, targets, _scope(env))
    warnings = [
        f"log rule {rule.name!r}: {', '.join(missing)} selects no deployed service"
        for rule in rules
        if (missing := unmatched(rule, targets))
    ]
    warned = {rule.name for rule in rules if unmatched(rule, targets)}
    by_name = {rule.name: rule for rule in every}
    for name in unused_rules(every, config):
        if name in warned:
            continue
        why = (
            "no service it selects has its files in an emptyDir volume"
            if by_name[name].files
            else "it selects no deployed service"
        )
        warnings.append(f"log rule {name!r} collects nothing: {why}")
    return rules, tuple(template_rules), config, tuple(warnings)


def _qualified(rule: LogRule, app: str, services: Mapping[str, Any]) -> LogRule:
    """A template's rule, for its application only (named after it, to be unique)."""
    chosen = rule.services or tuple(services)
    return replace(rule, name=f"{app}-{rule.name}", services=tuple(f"{app}/{s}" for s in chosen))


def _deployed(store: AppState, app: str) -> list[ServiceTarget]:
    targets = []
    for service, revision in last_revisions(store, app).items():
        if revision.status == REMOVED:
            continue
        objects = _objects(revision.manifests, f"{app}/{service}")
        targets.append(ServiceTarget(app, service, workloads_of(objects)))
    return targets


def _objects(text: str, label: str) -> list[KubeObject]:
    try:
        docs = load_data(text, f"revision {label}", STORED_LIMITS)
    except KapstanError:
        return []  # unreadable history: that service's logs are not collected
    return [d for d in docs if isinstance(d, dict)]


def _scope(env: Environment) -> Scope:
    # A collector reads new lines only (start_at end): a restart must not send a node's
    # whole log history again.
    return Scope(env.name, env.namespace)


@contextmanager
def _connected(env: Environment) -> Iterator[KubeClient]:
    try:
        with connect_environment(env) as cluster:
            yield cluster
    except ClusterError as exc:
        raise type(exc)(
            f"environment {env.name}: the log collector could not be applied in namespace "
            f"{env.namespace}: {exc.message}; the rules are stored: run `kapstan env logs "
            f"apply {env.name}` once the cluster takes it"
        ) from exc


def _applied(env: Environment) -> tuple[Mapping[str, str], ...]:
    found = env.log_rules.get("applied")
    if not isinstance(found, list):
        return ()
    return tuple(e for e in found if isinstance(e, Mapping) and {"kind", "name"} <= set(e))
