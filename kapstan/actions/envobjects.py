"""Objects an environment owns in its namespace, apart from its applications': its quota's
ResourceQuota and LimitRange, its log collector.

Each is applied only when no object of that name exists or the one there is Kapstan's for
that environment (``kapstan.plan.quota.owned``: its labels), never taken over; it is
recorded with the uid the server gave it, and pruned only while it still has that uid and
those labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kapstan.engine import inventory
from kapstan.errors import ConflictError
from kapstan.kube import KubeClient
from kapstan.model.rendered import KubeObject
from kapstan.plan.quota import owned
from kapstan.store import Environment


def apply_owned(
    cluster: KubeClient, env: Environment, obj: KubeObject, *, what: str, then: str
) -> dict[str, str]:
    """Apply ``obj`` for ``env``; its inventory entry. ConflictError naming the object
    (``what`` it would have been for, and ``then``, what to do after) if it is someone else's."""
    meta = obj["metadata"]
    live = cluster.get(str(obj["apiVersion"]), str(obj["kind"]), meta["name"], meta["namespace"])
    if live is not None:
        mine, why = owned(live, {}, env.name)
        if not mine:
            raise ConflictError(
                f"{obj['kind']} {meta['namespace']}/{meta['name']} exists and is not "
                f"Kapstan's {what} for environment {env.name} ({why}); Kapstan never takes "
                f"it over: remove or rename it, then {then}"
            )
    return inventory.entry(cluster.apply(obj))


def prune_owned(
    cluster: KubeClient,
    env: Environment,
    previous: Sequence[Mapping[str, str]],
    keep: Sequence[Mapping[str, str]],
) -> list[str]:
    """Delete what ``previous`` recorded and ``keep`` no longer has, if still ``env``'s;
    what was deleted, as "Kind namespace/name"."""
    wanted = {(e["kind"], e["name"]) for e in keep}
    removed = []
    for entry in previous:
        if (entry["kind"], entry["name"]) in wanted:
            continue
        live = cluster.get(entry["apiVersion"], entry["kind"], entry["name"], entry["namespace"])
        if owned(live, entry, env.name)[0]:
            cluster.delete(entry["apiVersion"], entry["kind"], entry["name"], entry["namespace"])
            removed.append(f"{entry['kind']} {entry['namespace']}/{entry['name']}")
    return removed
