"""``/api/v1/environments/{name}/quota``: read (viewers), set or clear (the environment's
admins): rendered into its namespace as a ResourceQuota and a LimitRange at once."""

from __future__ import annotations

from fastapi import APIRouter

from kapstan.actions import quotas
from kapstan.api.auth import Caller, CallerDep
from kapstan.plan import quota as quota_rules
from kapstan.schemas.quotas import QuotaCleared, QuotaOut, QuotaSetting

router = APIRouter(prefix="/api/v1/environments", tags=["environments"])


def out(view: quotas.QuotaView) -> QuotaOut:
    quota = view.quota.to_json()
    return QuotaOut(
        environment=view.environment,
        namespace=view.namespace,
        hard=quota["hard"],
        container=quota["container"],
        applied=[f"{e['kind']} {e.get('namespace', '')}/{e['name']}" for e in view.applied],
        used=dict(view.used),
        unread=view.unread,
    )


def require_env_admin(caller: Caller, environment: str) -> None:
    caller.require_env_admin(environment, "setting the quota")


@router.get("/{name}/quota")
def get_quota(caller: CallerDep, name: str, live: bool = True) -> QuotaOut:
    """The quota, and (``live``) what the namespace uses of it now."""
    caller.store.get_environment(name)
    caller.require(name, "view")
    return out(quotas.show_quota(caller.store, name, live=live))


@router.put("/{name}/quota")
def put_quota(caller: CallerDep, name: str, body: QuotaSetting) -> QuotaOut:
    """Replace the quota whole, and apply it."""
    require_env_admin(caller, name)
    data = {"hard": body.hard, "container": body.container}
    return out(quotas.replace_quota(caller.store, name, data, author=caller.name, via="api"))


@router.patch("/{name}/quota")
def patch_quota(caller: CallerDep, name: str, body: QuotaSetting) -> QuotaOut:
    """Change the keys given (``unset`` takes keys out), and apply the result."""
    require_env_admin(caller, name)
    hard = {}
    for key, text in body.hard.items():
        where = f"hard[{key!r}]"
        stored = quota_rules.check_key(key, where)
        hard[stored] = quota_rules.check_value(stored, text, where)
    container = {
        (field, resource): quota_rules.check_container_entry(
            field, resource, text, f"container.{field}.{resource}"
        )
        for field, entries in body.container.items()
        for resource, text in entries.items()
    }
    view = quotas.set_quota(
        caller.store,
        name,
        hard=hard,
        container=container,
        unset=body.unset,
        author=caller.name,
        via="api",
    )
    return out(view)


@router.delete("/{name}/quota")
def delete_quota(caller: CallerDep, name: str) -> QuotaCleared:
    """Take the quota away: its ResourceQuota and LimitRange are deleted."""
    require_env_admin(caller, name)
    removed = quotas.clear_quota(caller.store, name, author=caller.name, via="api")
    return QuotaCleared(environment=name, removed=removed)
