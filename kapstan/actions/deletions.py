"""Delete environments, templates and configs: refused while in use, each audited.

The store checks use and deletes in one transaction (``kapstan.store.deletions``); these
add the audit entry, and for ``delete_environment(cascade=True)`` delete each of the
environment's applications first (``deleting.delete_app``: one operation each). None of
them touches a cluster otherwise: an environment's namespace is left where it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kapstan.actions.deleting import DEFAULT_TIMEOUT, delete_app
from kapstan.actions.deploying import DeployResult
from kapstan.actions.journal import Listener
from kapstan.actions.quotas import remove_quota_objects
from kapstan.actions.storeports import Deleting, Removals
from kapstan.errors import ClusterError
from kapstan.model.operation import Step

OnApp = Callable[[str], None]


@dataclass(frozen=True)
class EnvironmentDeleted:
    name: str
    namespace: str
    apps: tuple[DeployResult, ...]  # the applications deleted first (--cascade)


def delete_environment(
    store: Deleting,
    name: str,
    *,
    author: str,
    cascade: bool = False,
    keep_volumes: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    listener: Listener | None = None,
    on_app: OnApp | None = None,
    via: str = "cli",
) -> EnvironmentDeleted:
    """Delete environment ``name``; with ``cascade`` its applications first, one by one.

    A cascade stops at the first application that could not be deleted (ClusterError
    naming it and its operation), or, in an environment that requires approval, at the
    first whose delete waits for one (ApprovalPending); the environment then stays.
    """
    env = store.get_environment(name)
    results = []
    if cascade:
        for app in store.find_applications(environments=[name]):
            if on_app:
                on_app(app.name)
            result = delete_app(
                store,
                app.name,
                author=author,
                keep_volumes=keep_volumes,
                timeout=timeout,
                listener=listener,
                via=via,
            )
            results.append(result)
            if result.operation.status is not Step.SUCCEEDED:
                raise ClusterError(
                    f"environment {name!r} was not deleted: application {app.name} could not be "
                    f"(operation {result.operation.id}: {result.operation.message})"
                )
    # Its quota's ResourceQuota and LimitRange go with it (the namespace stays): removed
    # only once no application is left, else the store refuses the delete anyway.
    quota_removed = (
        [] if store.find_applications(environments=[name]) else remove_quota_objects(env)
    )
    store.delete_environment(name)
    store.audit(
        author,
        "environment.delete",
        kind="environment",
        name=name,
        environment=name,
        details={
            "cascade": cascade,
            "applications": [r.operation.app for r in results],
            "namespace": env.namespace,
            "quotaRemoved": quota_removed,
            "via": via,
        },
    )
    return EnvironmentDeleted(name, env.namespace, tuple(results))


def delete_template(
    store: Removals, name: str, version: int | None = None, *, author: str, via: str = "cli"
) -> list[int]:
    """Delete version ``version`` of template ``name`` (None: all); the versions deleted."""
    deleted = store.delete_template(name, version)
    store.audit(
        author,
        "template.delete",
        kind="template",
        name=name,
        from_version=None if version is None else str(version),
        details={"versions": deleted, "via": via},
    )
    return deleted


def delete_config(store: Removals, name: str, *, author: str, via: str = "cli") -> None:
    store.delete_config(name)
    store.audit(author, "config.delete", kind="config", name=name, details={"via": via})
