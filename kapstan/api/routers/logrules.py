"""``/api/v1/environments/{name}/log-rules``: read (viewers); set, clear or apply the
collector (the environment's admins): the collector is applied into its namespace at once."""

from __future__ import annotations

from fastapi import APIRouter

from kapstan.actions import logrules
from kapstan.api.auth import CallerDep
from kapstan.logrules.rules import to_json
from kapstan.schemas.logrules import LogRulesOut, LogRulesSetting

router = APIRouter(prefix="/api/v1/environments", tags=["environments"])


def out(view: logrules.LogRulesView) -> LogRulesOut:
    return LogRulesOut(
        environment=view.environment,
        namespace=view.namespace,
        rules=[to_json(r) for r in view.rules],
        template_rules=[to_json(r) for r in view.template_rules],
        config=view.config,
        applied=[f"{e['kind']} {e.get('namespace', '')}/{e['name']}" for e in view.applied],
        warnings=list(view.warnings),
        removed=list(view.removed),
    )


@router.get("/{name}/log-rules")
def get_log_rules(caller: CallerDep, name: str) -> LogRulesOut:
    """The rules and the collector configuration they render to now."""
    caller.store.get_environment(name)
    caller.require(name, "view")
    return out(logrules.show_rules(caller.store, name))


@router.put("/{name}/log-rules")
def put_log_rules(caller: CallerDep, name: str, body: LogRulesSetting) -> LogRulesOut:
    """Replace the environment's own rules whole, and apply the collector."""
    caller.require_env_admin(name, "changing the log rules")
    view = logrules.set_rules(caller.store, name, body.rules, author=caller.name, via="api")
    return out(view)


@router.delete("/{name}/log-rules")
def delete_log_rules(caller: CallerDep, name: str) -> LogRulesOut:
    """Take the environment's own rules away (the templates' rules stay)."""
    caller.require_env_admin(name, "changing the log rules")
    return out(logrules.clear_rules(caller.store, name, author=caller.name, via="api"))


@router.post("/{name}/log-rules/apply")
def apply_log_rules(caller: CallerDep, name: str) -> LogRulesOut:
    """Render the collector again (after a deploy changed a template's rules) and apply it."""
    caller.require_env_admin(name, "changing the log rules")
    return out(logrules.apply_collector(caller.store, name))
