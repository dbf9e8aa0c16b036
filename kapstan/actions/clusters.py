"""Cluster verbs: register a kubeconfig as a cluster, list, remove; and the kube client of an
environment or a cluster, built from its decrypted kubeconfig.

What is stored is the kubeconfig *content*, minified to the one context used and flattened
(the certificate, key and token files it names are read in), then encrypted with the
store's secret key: the cluster keeps working when the files move, and nothing of it is in
plain text at rest. It is decrypted only to build a client, written for that moment to a
private temporary file (a 0700 directory, a 0600 file) that is removed once the client has
read it (lightkube reads a kubeconfig from a file and keeps nothing of the path after).

An environment made with ``--kubeconfig`` (no ``--cluster``) is put on a cluster too, when
the store has a secret key and the kubeconfig resolves to a server: on a registered cluster
with the same server and the very same flattened kubeconfig (same identity), else on a new
one named after the environment (``NAME``, or ``NAME-2``... if that is taken). Without a
key it keeps its kubeconfig path alone, as before clusters existed.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import yaml

from kapstan.actions.storeports import ClusterEdits, ClusterReads
from kapstan.errors import ClusterError, ConflictError, InputError, KapstanError, NotFoundError
from kapstan.kube import KubeClient, RetryPolicy, connect
from kapstan.kube import config as kubeconfigs
from kapstan.model.records import Cluster, Environment
from kapstan.render.yamlnodes import load_data

# Fields that name a file, and the field holding the file's content in a flat kubeconfig.
CLUSTER_FILES = {"certificate-authority": "certificate-authority-data"}
USER_FILES = {"client-certificate": "client-certificate-data", "client-key": "client-key-data"}
MAX_SUFFIX = 20  # env NAME, NAME-2 ... NAME-20: a cluster name for an environment's kubeconfig


@dataclass(frozen=True)
class Registration:
    """A kubeconfig ready to store: flat text of one context, and where it points."""

    text: str
    context: str
    server: str


def read_kubeconfig(path: str | os.PathLike[str], context: str | None) -> Registration:
    """The context ``context`` (default: the current one) of kubeconfig ``path``, alone and
    flattened; InputError naming the file and what is wrong."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise InputError(f"kubeconfig {str(file)!r} is not a file")
    name = kubeconfigs.check_kubeconfig(file, context)
    if name is None:
        raise InputError(
            f"kubeconfig {file} sets no current-context; pass --context NAME to say which "
            "cluster to register"
        )
    data = load_data(file.read_text(encoding="utf-8"), f"kubeconfig {file}")[0]
    chosen = _entry(data, "contexts", name)["context"]
    cluster_name, user_name = chosen.get("cluster"), chosen.get("user")
    cluster = _flat(_entry(data, "clusters", cluster_name)["cluster"], CLUSTER_FILES, file)
    server = str(cluster.get("server") or "")
    if not server:
        raise InputError(f"cluster {cluster_name!r} of kubeconfig {file} has no server")
    flat: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": cluster}],
        "contexts": [{"name": name, "context": dict(chosen)}],
        "users": [],
        "current-context": name,
    }
    if user_name is not None:
        user = _flat(_entry(data, "users", user_name)["user"], USER_FILES, file)
        if "tokenFile" in user:
            user["token"] = _read(user.pop("tokenFile"), file).decode("utf-8").strip()
        flat["users"] = [{"name": user_name, "user": user}]
    return Registration(yaml.safe_dump(flat, sort_keys=False), name, server.rstrip("/"))


def _entry(data: dict[str, Any], section: str, name: Any) -> dict[str, Any]:
    found = next(e for e in data.get(section) or [] if e.get("name") == name)
    return dict(found)


def _flat(settings: dict[str, Any], files: dict[str, str], kubeconfig: Path) -> dict[str, Any]:
    """``settings`` with each file it names read in (base64), as ``kubectl --flatten``."""
    out = dict(settings)
    for field, data_field in files.items():
        if field in out:
            content = _read(out.pop(field), kubeconfig)
            out[data_field] = base64.b64encode(content).decode("ascii")
    return out


def _read(name: Any, kubeconfig: Path) -> bytes:
    """A file a kubeconfig names; relative paths are relative to the kubeconfig's folder."""
    path = Path(str(name)).expanduser()
    path = path if path.is_absolute() else kubeconfig.parent / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"kubeconfig {kubeconfig} names the file {path}, which cannot be read: "
            f"{exc.strerror or exc}"
        ) from None


def add_cluster(
    store: ClusterEdits,
    name: str,
    *,
    kubeconfig: str | os.PathLike[str],
    context: str | None = None,
    author: str,
    via: str,
) -> Cluster:
    """Register ``kubeconfig`` (its context ``context``) as cluster ``name``; audited."""
    found = read_kubeconfig(kubeconfig, context)
    cluster = register(store, name, found, author=author)
    details = {"server": found.server, "context": found.context, "via": via}
    store.audit(author, "cluster.add", kind="cluster", name=name, details=details)
    return cluster


def register(
    store: ClusterEdits, name: str, found: Registration, *, author: str, sandbox: str | None = None
) -> Cluster:
    """Store ``found`` as cluster ``name`` (its kubeconfig encrypted); ``sandbox`` names what
    Kapstan created it as. Not audited: the caller says why it registers."""
    return store.add_cluster(
        name,
        kubeconfig=found.text,
        context=found.context,
        server=found.server,
        created_by=author,
        sandbox=sandbox,
    )


def remove_cluster(store: ClusterEdits, name: str, *, author: str, via: str) -> None:
    """Forget cluster ``name``; refused (ConflictError naming them) while environments use it,
    and for a cluster Kapstan created (forgetting it would leave it running, unowned)."""
    created = store.get_cluster(name).sandbox
    if created is not None:
        raise ConflictError(
            f"cluster {name} was created by Kapstan (sandbox {created}): `kapstan cluster "
            f"delete {name}` stops it and forgets it"
        )
    store.remove_cluster(name)
    store.audit(author, "cluster.remove", kind="cluster", name=name, details={"via": via})


def cluster_for_kubeconfig(
    store: ClusterEdits, environment: str, kubeconfig: str | os.PathLike[str], context: str | None
) -> str | None:
    """The cluster an environment made from ``kubeconfig`` runs on, registered if need be
    (see the module's docstring); None when the store has no key or the file names no
    server (the environment then keeps its path alone)."""
    if store.checksum_key() is None:
        return None
    try:
        found = read_kubeconfig(kubeconfig, context)
    except InputError:
        return None  # a placeholder kubeconfig (no context, no server): nothing to register
    for name, sealed in store.clusters_with_server(found.server):
        if sealed.reveal() == found.text:
            return name
    name = _free_name(store, environment)
    register(store, name, found, author="kapstan")
    details = {"server": found.server, "environment": environment, "via": "env create"}
    store.audit("kapstan", "cluster.add", kind="cluster", name=name, details=details)
    return name


def _free_name(store: ClusterReads, base: str) -> str:
    for candidate in [base, *(f"{base[:58]}-{n}" for n in range(2, MAX_SUFFIX + 1))]:
        try:
            store.get_cluster(candidate)
        except NotFoundError:
            return candidate
    raise InputError(
        f"clusters {base} to {base}-{MAX_SUFFIX} are all registered; register this one "
        f"with `kapstan cluster add NAME --kubeconfig FILE` and pass --cluster NAME"
    )


def connect_environment(
    env: Environment, *, timeout: float = 30, retry: RetryPolicy | None = None
) -> KubeClient:
    """A client for environment ``env`` (fails now if the server is unreachable): from its
    cluster's decrypted kubeconfig, or its kubeconfig path when it is on no cluster."""
    if env.cluster is None or env.cluster_kubeconfig is None:
        return connect(
            env.kubeconfig, env.context, impersonate=env.impersonate, timeout=timeout, retry=retry
        )
    return _connect_sealed(
        env.cluster, env.cluster_kubeconfig.reveal(), env.impersonate, timeout, retry
    )


def connect_cluster(store: ClusterReads, name: str, *, timeout: float = 30) -> KubeClient:
    """A client for registered cluster ``name``, from its decrypted kubeconfig."""
    return _connect_sealed(name, store.cluster_kubeconfig(name).reveal(), None, timeout, None)


def _connect_sealed(
    name: str, text: str, impersonate: str | None, timeout: float, retry: RetryPolicy | None
) -> KubeClient:
    with private_kubeconfig(name, text) as path:
        try:
            return connect(path, None, impersonate=impersonate, timeout=timeout, retry=retry)
        except ClusterError as exc:
            # The temporary file is gone when the message is read: name the cluster instead.
            exc.message = exc.message.replace(f"kubeconfig {path}", f"cluster {name}'s kubeconfig")
            exc.args = (exc.message,)
            raise


@contextmanager
def private_kubeconfig(name: str, text: str) -> Iterator[Path]:
    """``text`` in a file only this user may read, removed on exit (even on error)."""
    directory = Path(tempfile.mkdtemp(prefix=f"kapstan-cluster-{name}-"))  # mode 0700
    try:
        path = directory / "kubeconfig"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def server_of(env: Environment) -> str:
    """The server URL ``env``'s client goes to (how two environments are told to share a
    cluster); its file and context when that cannot be read."""
    if env.cluster_kubeconfig is not None:
        try:
            data = load_data(env.cluster_kubeconfig.reveal(), f"cluster {env.cluster}")[0]
            return str(data["clusters"][0]["cluster"]["server"]).rstrip("/")
        except (KapstanError, KeyError, IndexError, TypeError):
            return f"cluster {env.cluster}"
    try:
        return kubeconfigs.load(env.kubeconfig, env.context).server.rstrip("/")
    except KapstanError:
        return f"{env.kubeconfig} (context {env.context or 'current'})"


def environment_client(
    env: Environment,
    clients: Callable[..., AbstractContextManager[KubeClient]],
    *,
    timeout: float = 30,
    retry: RetryPolicy | None = None,
) -> AbstractContextManager[KubeClient]:
    """A read's client for ``env``: from ``clients`` when it runs on its kubeconfig path;
    else from its cluster's decrypted kubeconfig, kept by the pool ``clients`` belongs to
    (keyed by the cluster and a digest of the text) or, with no pool, built for this read."""
    if env.cluster is None or env.cluster_kubeconfig is None:
        return clients(
            env.kubeconfig, env.context, timeout=timeout, retry=retry, impersonate=env.impersonate
        )
    # ``clients`` is a pool's ``connect`` (the API keeps clients: kapstan.api.clusters) or
    # ``kapstan.kube.connect``; a pool keeps a cluster's client too, by its bound method's owner.
    pool = getattr(clients, "__self__", None)
    if isinstance(pool, SealedClients):
        return pool.connect_sealed(
            env.cluster,
            env.cluster_kubeconfig.reveal(),
            timeout=timeout,
            retry=retry,
            impersonate=env.impersonate,
        )
    return connect_environment(env, timeout=timeout, retry=retry)


@runtime_checkable
class SealedClients(Protocol):
    """A pool that keeps clients of registered clusters (``kapstan.api.clusters.Clusters``)."""

    def connect_sealed(
        self,
        name: str,
        kubeconfig: str,
        *,
        timeout: float = ...,
        retry: RetryPolicy | None = ...,
        impersonate: str | None = ...,
    ) -> AbstractContextManager[KubeClient]: ...
