"""Quotas per environment: set, show and clear them; applied at once; checked before deploys.

``set_quota`` stores the quota and applies its ResourceQuota and LimitRange into the
environment's namespace at once (the next deploy does not wait for it); ``clear_quota``
deletes them. Both write as the environment does (its cluster, its impersonated identity,
its own namespace only, created as a deploy would create it), and record what they
applied with its uid in the quota's ``applied`` list: only those objects, still carrying
Kapstan's labels for this environment, are ever pruned.

``check_quota`` is the refusal before a plan or a deploy writes anything: the arithmetic is
the pure ``kapstan.plan.quotausage``, fed with what the environment's applications use
(their last deployed revisions), what this deploy asks, and what the namespace uses
outside Kapstan (the live quota's ``status.used``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kapstan.actions.boundary import prepare_namespace
from kapstan.actions.clusters import connect_environment
from kapstan.actions.envobjects import apply_owned, prune_owned
from kapstan.actions.removals import REMOVED, last_revisions
from kapstan.actions.rendering import RenderedAppVersion
from kapstan.actions.storeports import AppState, EnvironmentReads, QuotaEdits
from kapstan.errors import ClusterError, KapstanError, PolicyError
from kapstan.kube import KubeClient
from kapstan.model.rendered import KubeObject
from kapstan.plan import quota as quotas
from kapstan.plan import quotausage
from kapstan.plan.quota import Quota
from kapstan.render.yamlnodes import load_data
from kapstan.render.yamlsafety import STORED_LIMITS
from kapstan.store import Environment

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
READ_TIMEOUT = 10.0  # seconds: a show or a check must not wait long for a dead cluster


@dataclass(frozen=True)
class QuotaView:
    """An environment's quota, what was applied for it, and the live ``status.used``
    (empty, with ``unread`` saying why, when the cluster could not be asked)."""

    environment: str
    namespace: str
    quota: Quota
    applied: tuple[Mapping[str, str], ...]
    used: Mapping[str, str]
    unread: str = ""


def stored_quota(env: Environment) -> Quota:
    return quotas.quota_of(env.quota, f"environment {env.name}'s quota")


def set_quota(
    store: QuotaEdits,
    name: str,
    *,
    hard: Mapping[str, str] | None = None,
    container: Mapping[tuple[str, str], str] | None = None,
    unset: Sequence[str] = (),
    author: str,
    via: str,
) -> QuotaView:
    """Change ``name``'s quota (the keys given; ``unset`` takes keys out), store it, and
    apply it to the namespace. With nothing to change, the stored quota is applied again.

    The entries must be checked already (``quotas.check_key``/``check_value``, which name
    the flag or key at fault); a container default outside its min..max is refused here.
    """
    env = store.get_environment(name)
    new = quotas.changed(stored_quota(env), hard or {}, container or {}, tuple(unset))
    return _store_and_apply(store, env, new, author=author, via=via)


def replace_quota(
    store: QuotaEdits, name: str, data: Mapping[str, Any], *, author: str, via: str
) -> QuotaView:
    """Make ``name``'s quota exactly ``data`` (``{"hard": ..., "container": ...}``), applied."""
    env = store.get_environment(name)
    new = quotas.quota_of(data, "quota")
    return _store_and_apply(store, env, new, author=author, via=via)


def clear_quota(store: QuotaEdits, name: str, *, author: str, via: str) -> list[str]:
    """Take ``name``'s quota away: its ResourceQuota and LimitRange are deleted first (the
    stored quota stays if that fails). What was deleted, as "Kind namespace/name"."""
    removed = remove_quota_objects(store.get_environment(name))
    store.set_environment_quota(name, {})
    store.audit(
        author,
        "environment.quota",
        kind="environment",
        name=name,
        environment=name,
        details={"quota": None, "removed": removed, "via": via},
    )
    return removed


def remove_quota_objects(env: Environment) -> list[str]:
    """Delete what ``env``'s quota applied (while still its own), as "Kind namespace/name";
    nothing to do, no cluster asked. A cluster failure says to clear the quota again."""
    applied = _applied(env)
    if not applied:
        return []
    with _connected(env, "cleared") as cluster:
        return prune_owned(cluster, env, applied, ())


def show_quota(store: EnvironmentReads, name: str, *, live: bool = True) -> QuotaView:
    """``name``'s quota; with ``live``, what the namespace uses of it now."""
    env = store.get_environment(name)
    quota = stored_quota(env)
    used: Mapping[str, str] = {}
    unread = "" if live else "not asked"
    if live and quota.hard:
        try:
            used = _live_used(env)
        except KapstanError as exc:
            unread = exc.message
    return QuotaView(env.name, env.namespace, quota, _applied(env), used, unread)


def check_quota(
    store: AppState,
    version: RenderedAppVersion,
    selected: Sequence[str],
    removed: Sequence[str] = (),
) -> None:
    """PolicyError naming each service and resource a deploy of ``selected`` would take
    over the environment's quota (or its container limits); nothing when it fits or the
    environment has no quota. Reads the cluster once, for the live quota's usage."""
    env = store.get_environment(version.environment)
    quota = stored_quota(env)
    if quota.empty:
        return
    used, facts = _cluster_reads(env, version, quota)
    changing = [s for s in selected if s in version.rendered.services]
    asks = [
        quotausage.service_ask(s, version.rendered.services[s].objects, quota, facts)
        for s in changing
    ]
    deployed = _deployed(store, env.name, quota, facts)
    replaced = set(changing) | set(removed)
    others = [
        ask
        for app, services in deployed.items()
        for service, ask in services.items()
        if app != version.app or service not in replaced
    ]
    current = {s: a.usage for s, a in deployed.get(version.app, {}).items() if s in changing}
    every = [ask for services in deployed.values() for ask in services.values()]
    outside = quotausage.Ask("(outside Kapstan)", quotausage.outside(used, every))
    lines = quotausage.refusals(
        quota, asks, others=quotausage.total([*others, outside]), current=current
    )
    if lines:
        listed = "\n".join(f"  - {line}" for line in lines)
        raise PolicyError(
            f"environment {env.name}'s quota refuses this deploy of application "
            f"{version.app}; nothing was applied:\n{listed}\nAsk for less (replicas, "
            f"requests, limits, storage), or have an admin raise the quota: kapstan env quota "
            f"set {env.name} --cpu ... (`kapstan env quota show {env.name}` shows it)"
        )


def _deployed(
    store: AppState, environment: str, quota: Quota, facts: quotausage.Facts
) -> dict[str, dict[str, quotausage.Ask]]:
    """app -> service -> what its last deployed revision uses, for every app in the env."""
    found: dict[str, dict[str, quotausage.Ask]] = {}
    for app in store.list_applications():
        if app.environment != environment:
            continue
        for service, revision in last_revisions(store, app.name).items():
            if revision.status == REMOVED:
                continue
            deployed = (
                revision
                if revision.status == "deployed"
                else store.latest_revision(app.name, service)
            )
            if deployed is None:
                continue
            objects = _objects(deployed.manifests, f"{app.name}/{service}")
            found.setdefault(app.name, {})[service] = quotausage.service_ask(
                service, objects, quota, facts
            )
    return found


def _objects(text: str, label: str) -> list[KubeObject]:
    try:
        docs = load_data(text, f"revision {label}", STORED_LIMITS)
    except KapstanError:
        return []  # unreadable history counts as nothing; the apiserver still enforces
    return [d for d in docs if isinstance(d, dict)]


def _store_and_apply(
    store: QuotaEdits, env: Environment, new: Quota, *, author: str, via: str
) -> QuotaView:
    previous = _applied(env)
    store.set_environment_quota(env.name, {**new.to_json(), "applied": list(previous)})
    store.audit(
        author,
        "environment.quota",
        kind="environment",
        name=env.name,
        environment=env.name,
        details={"quota": new.to_json(), "via": via},
    )
    desired = quotas.objects(new, environment=env.name, namespace=env.namespace)
    with _connected(env, "applied") as cluster:
        if desired:
            prepare_namespace(store, env, cluster)
        applied = [
            apply_owned(cluster, env, obj, what="quota", then="set the quota again")
            for obj in desired
        ]
        prune_owned(cluster, env, previous, applied)
    store.set_environment_quota(env.name, {**new.to_json(), "applied": applied})
    return QuotaView(env.name, env.namespace, new, tuple(applied), {})


@contextmanager
def _connected(env: Environment, verb: str) -> Iterator[KubeClient]:
    """The environment's client; a cluster failure says the quota is stored, not applied."""
    try:
        with connect_environment(env) as cluster:
            yield cluster
    except ClusterError as exc:
        raise type(exc)(
            f"environment {env.name}: the quota could not be {verb} in namespace "
            f"{env.namespace}: {exc.message}; run `kapstan env quota "
            f"{'set' if verb == 'applied' else 'clear'} {env.name}` again once the cluster "
            "takes it"
        ) from exc


def _live_used(env: Environment) -> dict[str, str]:
    """The live ResourceQuota's ``status.used`` (empty until the controller counts)."""
    with connect_environment(env, timeout=READ_TIMEOUT) as cluster:
        live = cluster.get("v1", "ResourceQuota", quotas.QUOTA_NAME, env.namespace)
    used = ((live or {}).get("status") or {}).get("used") or {}
    return {str(k): str(v) for k, v in used.items()}


def _cluster_reads(
    env: Environment, version: RenderedAppVersion, quota: Quota
) -> tuple[dict[str, str], quotausage.Facts]:
    """What the check reads live, in one connection: the quota's ``status.used``, and only
    when the deploy needs them, the nodes (a DaemonSet's pods) and the default StorageClass
    (a claim without a class, under a per-class quota). Unreadable (a dead cluster, no
    permission): Kapstan's own count alone, one node, no default class; the apiserver's
    admission stays the last word."""
    kinds = {str(o.get("kind")) for s in version.rendered.services.values() for o in s.objects}
    per_class = any(quotas.CLASS_INFIX in key for key in quota.hard)
    used: dict[str, str] = {}
    facts = quotausage.Facts()
    try:
        with connect_environment(env, timeout=READ_TIMEOUT) as cluster:
            live = cluster.get("v1", "ResourceQuota", quotas.QUOTA_NAME, env.namespace)
            found = ((live or {}).get("status") or {}).get("used") or {}
            used = {str(k): str(v) for k, v in found.items()}
            nodes = len(cluster.list("v1", "Node")) if "DaemonSet" in kinds else 1
            default = _default_class(cluster) if per_class else None
            facts = quotausage.Facts(nodes=max(nodes, 1), default_class=default)
    except KapstanError:
        pass
    return used, facts


def _default_class(cluster: KubeClient) -> str | None:
    try:
        classes = cluster.list("storage.k8s.io/v1", "StorageClass")
    except KapstanError:
        return None
    for found in classes:
        notes = (found.get("metadata") or {}).get("annotations") or {}
        if notes.get(DEFAULT_CLASS_ANNOTATION) == "true":
            return str(found["metadata"]["name"])
    return None


def _applied(env: Environment) -> tuple[Mapping[str, str], ...]:
    found = env.quota.get("applied") if isinstance(env.quota, Mapping) else None
    if not isinstance(found, list):
        return ()
    return tuple(e for e in found if isinstance(e, Mapping) and {"kind", "name"} <= set(e))


def describe_used(view: QuotaView) -> list[tuple[str, str, str]]:
    """(resource, used, hard) rows for a show: every key of the quota, used or not."""
    return [(key, view.used.get(key, "-"), text) for key, text in sorted(view.quota.hard.items())]
