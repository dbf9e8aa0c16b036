"""Environment verbs: create (checking what it points at), clone, set the tenancy boundary,
and show with its apps.

Two environments on one cluster and namespace would take each other's objects, so
``create`` and ``clone`` refuse that unless both are marked shared. The cluster is the
server URL the kubeconfig context resolves to (two files or contexts may name one cluster).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kapstan.actions.clusters import cluster_for_kubeconfig, connect_environment, server_of
from kapstan.actions.storeports import (
    ConfigReads,
    EnvironmentEdits,
    EnvironmentMaking,
    EnvironmentReads,
    StateReads,
)
from kapstan.errors import ConflictError, InputError, KapstanError, NotFoundError
from kapstan.kube import config as kubeconfigs
from kapstan.plan import tenancy
from kapstan.store import Application, ConfigVersion, Environment
from kapstan.store.environments import UNCHANGED, Unchanged

REACH_TIMEOUT = 5.0  # seconds: a list of environments must not wait long for a dead cluster


@dataclass(frozen=True)
class EnvironmentDetails:
    environment: Environment
    config: ConfigVersion | None
    applications: tuple[Application, ...]


def create_environment(
    store: EnvironmentMaking,
    name: str,
    *,
    kubeconfig: str | os.PathLike[str] | None = None,
    namespace: str,
    context: str | None = None,
    config: str | None = None,
    shared: bool = False,
    cluster: str | None = None,
) -> Environment:
    """A new environment on registered cluster ``cluster``, or on ``kubeconfig``: one
    Kapstan can use (with ``context``, if given), stored as an absolute path and registered
    as a cluster (``kapstan.actions.clusters.cluster_for_kubeconfig``).

    Refused (ConflictError) when another environment uses the same cluster and namespace,
    unless both are shared.
    """
    if (kubeconfig is None) == (cluster is None):
        raise InputError(
            f"environment {name!r}: give either --cluster NAME (a registered cluster) or "
            "--kubeconfig FILE"
        )
    if config is not None:
        check_config_exists(store, name, config)
    if cluster is not None:
        if context is not None:
            raise InputError(
                f"environment {name!r}: --context goes with --kubeconfig; cluster {cluster} "
                "has its own context"
            )
        found = store.get_cluster(cluster)
        _check_place(store, name, found.server, namespace, shared=shared, verb="create")
        return store.create_environment(
            name,
            kubeconfig="",
            context=found.context,
            namespace=namespace,
            config=config,
            shared=shared,
            cluster=cluster,
        )
    path = _kubeconfig_file(name, kubeconfig or "", context)
    check_collision(store, name, str(path), context, namespace, shared=shared, verb="create")
    created = store.create_environment(
        name,
        kubeconfig=str(path),
        context=context,
        namespace=namespace,
        config=config,
        shared=shared,
    )
    registered = cluster_for_kubeconfig(store, name, path, context)
    if registered is None:
        return created
    store.set_environment_cluster(name, registered)
    return store.get_environment(name)


def check_config_exists(store: ConfigReads, environment: str, config: str) -> None:
    """NotFoundError that says how to make ``config`` when there is none of that name."""
    try:
        store.get_config(config)  # secrets stay sealed: no key needed
    except NotFoundError:
        raise NotFoundError(
            f"environment {environment}: config {config!r} not found; make it first with "
            f"`kapstan config set {config} KEY=VALUE` or `kapstan config import {config} FILE` "
            f"(`kapstan config list` shows the configs there are)"
        ) from None


def set_config(
    store: EnvironmentEdits, name: str, config: str | None, *, author: str, via: str
) -> Environment:
    """Give environment ``name`` another config (None: none); audited.

    Applications created from now on take it; applications there already keep theirs
    (``kapstan app update`` does not move them to another config either).
    """
    before = store.get_environment(name).config
    if config is not None:
        check_config_exists(store, name, config)
    changed = store.set_environment_config(name, config)
    if before != config:
        store.audit(
            author,
            "environment.config",
            kind="environment",
            name=name,
            environment=name,
            details={"from": before, "to": config, "via": via},
        )
    return changed


def set_self_heal(
    store: EnvironmentEdits, name: str, heal: bool, *, author: str, via: str
) -> Environment:
    """Whether the server heals drift in ``name`` (re-applies a drifted service at its last
    revision, as a deploy by ``kapstan:self-heal``); audited when it changes."""
    before = store.get_environment(name).self_heal
    changed = store.set_environment_self_heal(name, heal)
    if before != heal:
        store.audit(
            author,
            "environment.self-heal",
            kind="environment",
            name=name,
            environment=name,
            details={"selfHeal": heal, "via": via},
        )
    return changed


def clone_environment(
    store: EnvironmentMaking,
    source: str,
    new: str,
    *,
    author: str,
    namespace: str | None = None,
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    shared: bool | None = None,
) -> Environment:
    """``new`` = ``source`` with its own copy of ``source``'s config (named ``new``).

    ``namespace``, ``kubeconfig`` and ``context`` put the clone elsewhere; landing on the
    source's own cluster and namespace is refused unless ``shared`` (and the source is).
    Elsewhere, the clone is put on a cluster as ``create_environment`` puts one.
    """
    src = store.get_environment(source)
    path = str(_kubeconfig_file(new, kubeconfig, context)) if kubeconfig is not None else None
    if kubeconfig is None and context is not None:
        _kubeconfig_file(new, src.kubeconfig, context)  # the source's file, another context
    where = path or src.kubeconfig
    ctx = context if (kubeconfig is not None or context is not None) else src.context
    elsewhere = kubeconfig is not None or context is not None
    _check_place(
        store,
        new,
        cluster_of(where, ctx) if elsewhere else server_of(src),  # else on src's cluster
        namespace or src.namespace,
        shared=src.shared if shared is None else shared,
        verb="clone",
        source=source,
    )
    cloned = store.clone_environment(
        source,
        new,
        author=author,
        namespace=namespace,
        kubeconfig=path,
        context=context,
        shared=shared,
    )
    registered = cluster_for_kubeconfig(store, new, where, ctx) if elsewhere else None
    if registered is None:
        return cloned  # on the source's cluster (or its path), or no key to register with
    store.set_environment_cluster(new, registered)
    return store.get_environment(new)


def set_boundary(
    store: EnvironmentEdits,
    name: str,
    *,
    allowed_namespaces: Sequence[str] | None = None,
    allowed_kinds: Sequence[str] | None = None,
    impersonate: str | Unchanged | None = UNCHANGED,
    shared: bool | None = None,
) -> Environment:
    """Set ``name``'s tenancy boundary; None (UNCHANGED for ``impersonate``) keeps a setting.

    The lists replace the stored ones. Ending ``shared`` is refused while another
    environment uses the same cluster and namespace.
    """
    env = store.get_environment(name)
    check_boundary_input(allowed_namespaces, allowed_kinds, impersonate)
    if shared is False and env.shared:
        others = _on_server(store, name, server_of(env), env.namespace)
        if others:
            raise ConflictError(
                f"environment {name} cannot stop being shared: environment(s) "
                f"{', '.join(e.name for e in others)} use the same cluster and namespace "
                f"{env.namespace!r}; move or delete them first"
            )
    return store.set_environment_boundary(
        name,
        allowed_namespaces=allowed_namespaces,
        allowed_kinds=allowed_kinds,
        impersonate=impersonate,
        shared=shared,
    )


def check_boundary_input(
    allowed_namespaces: Sequence[str] | None,
    allowed_kinds: Sequence[str] | None,
    impersonate: str | Unchanged | None,
) -> None:
    """InputError naming the first namespace, kind or identity that is not valid."""
    for ns in allowed_namespaces or ():
        tenancy.check_namespace_entry(ns)
    for kind in allowed_kinds or ():
        tenancy.check_kind_entry(kind)
    if isinstance(impersonate, str):
        tenancy.check_identity(impersonate)


def check_collision(
    store: EnvironmentReads,
    name: str,
    kubeconfig: str,
    context: str | None,
    namespace: str,
    *,
    shared: bool,
    verb: str,
    source: str | None = None,
) -> None:
    """ConflictError when environment ``name`` would share a cluster and namespace with
    another one, unless both are shared. The message says how to go elsewhere."""
    _check_place(
        store,
        name,
        cluster_of(kubeconfig, context),
        namespace,
        shared=shared,
        verb=verb,
        source=source,
    )


def _check_place(
    store: EnvironmentReads,
    name: str,
    cluster: str,
    namespace: str,
    *,
    shared: bool,
    verb: str,
    source: str | None = None,
) -> None:
    others = _on_server(store, name, cluster, namespace)
    if not others or (shared and all(e.shared for e in others)):
        return
    names = ", ".join(e.name for e in others)
    lead = (
        f"environment {name} would use namespace {namespace!r} on cluster {cluster}, as "
        f"environment {names} does: two environments in one namespace take each other's "
        "objects. "
    )
    if verb == "clone":
        fix = (
            f"Give the clone its own namespace: kapstan env clone {source} {name} --namespace "
            f"NAMESPACE (or --kubeconfig/--context for another cluster)"
        )
    else:
        fix = f"Give {name} its own namespace with --namespace"
    unshared = [e.name for e in others if not e.shared]
    share = (
        f"; or, if they are meant to share it, mark {', '.join(unshared)} shared "
        f"(kapstan env set {unshared[0]} --shared) and pass --shared"
        if unshared
        else "; or pass --shared, as they are shared"
    )
    raise ConflictError(lead + fix + share)


def cluster_of(kubeconfig: str, context: str | None) -> str:
    """The server URL a kubeconfig context points at; the file and context if unreadable."""
    try:
        return kubeconfigs.load(kubeconfig, context).server.rstrip("/")
    except KapstanError:
        return f"{kubeconfig} (context {context or 'current'})"


def _on_server(
    store: EnvironmentReads, name: str, server: str, namespace: str
) -> list[Environment]:
    return [
        e
        for e in store.list_environments()
        if e.name != name and e.namespace == namespace and server_of(e) == server
    ]


def _kubeconfig_file(name: str, kubeconfig: str | os.PathLike[str], context: str | None) -> Path:
    """The absolute path of ``kubeconfig``; InputError unless it is a kubeconfig Kapstan can
    use with ``context`` (checked here, so a bad one is named now, not at the first deploy)."""
    path = Path(kubeconfig).expanduser()
    try:
        found = path.is_file()
    except OSError:  # a name too long, say
        found = False
    if not found:
        raise InputError(f"environment {name!r}: kubeconfig {str(path)!r} is not a file")
    try:
        kubeconfigs.check_kubeconfig(path, context)
    except InputError as exc:
        raise InputError(f"environment {name!r}: {exc.message}") from None
    return path.resolve()


def environment_details(store: StateReads, name: str) -> EnvironmentDetails:
    environment = store.get_environment(name)
    config = store.get_config(environment.config) if environment.config else None
    apps = tuple(a for a in store.list_applications() if a.environment == name)
    return EnvironmentDetails(environment, config, apps)


def reach(env: Environment) -> tuple[bool, str]:
    """(True, server version) or (False, why): one short request to the cluster."""
    try:
        with connect_environment(env, timeout=REACH_TIMEOUT) as cluster:
            return True, cluster.version()
    except KapstanError as exc:
        return False, exc.message
