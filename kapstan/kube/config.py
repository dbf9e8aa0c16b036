"""Kubeconfig files: loading one context, with errors that name the file and the context.

``check_kubeconfig`` is what every front door (CLI, API) runs, through the actions, before
an environment points at a file: a section missing, a context unknown or a file that is not
YAML is named then, not at the first deploy.

Also builds the raw HTTP client (lightkube's own kubeconfig-to-httpx2 adapter) used for the
few calls lightkube has no verb for: ``/version``, API discovery and bounded watches.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from lightkube import Client, KubeConfig
from lightkube.config import client_adapter
from lightkube.config.kubeconfig import SingleConfig
from lightkube.core.exceptions import ConfigError

from kapstan.errors import ClusterError, InputError
from kapstan.render.yamlnodes import load_data

SERVICE_ACCOUNT = "system:serviceaccount:"
MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024  # a kubeconfig with embedded certificates is ~10 KB
# Each section of a kubeconfig, and the key under which each entry holds its settings.
SECTIONS = {"clusters": "cluster", "contexts": "context", "users": "user"}


@dataclass(frozen=True)
class Target:
    """One context of one kubeconfig file, loaded."""

    kubeconfig: Path
    context: str
    config: SingleConfig
    # The Kubernetes identity every request is made as (Impersonate-User), or None.
    impersonate: str | None = None

    @property
    def server(self) -> str:
        return str(self.config.cluster.server)

    @property
    def origin(self) -> str:
        """How messages name the cluster: server, file and context."""
        return f"{self.server} (kubeconfig {self.kubeconfig}, context {self.context})"

    @property
    def namespace(self) -> str:
        return str(self.config.namespace or "default")


def load(kubeconfig: str | Path, context: str | None, impersonate: str | None = None) -> Target:
    path = Path(kubeconfig).expanduser()
    if not path.is_file():
        raise ClusterError(f"kubeconfig {path} does not exist; pass the path of a kubeconfig file")
    try:
        # The checks of ``check_kubeconfig``, but a kubeconfig without users is loaded (as
        # lightkube does): an environment made before that check may point at one.
        whole = _sections(path, _read_yaml(path), required=("clusters", "contexts"))
    except InputError as exc:
        raise ClusterError(exc.message) from None
    return Target(path, *_context(whole, path, context), impersonate=impersonate)


def check_kubeconfig(kubeconfig: str | Path, context: str | None) -> str | None:
    """The context ``kubeconfig`` resolves to (``context``, else its current-context; None
    when it names neither); InputError naming the file and what is wrong otherwise."""
    path = Path(kubeconfig).expanduser()
    data = _read_yaml(path)
    whole = _sections(path, data)
    current = data.get("current-context")
    name = context or current or None
    if name is None:
        return None  # a placeholder: every cluster call says "sets no current-context"
    if not isinstance(name, str) or name not in whole.contexts:
        known = ", ".join(sorted(whole.contexts)) or "none"
        what = f"context {name!r}" if context else f"the current-context {name!r}"
        fix = "" if context else "; pass --context NAME or fix current-context"
        raise InputError(f"{what} is not in kubeconfig {path}; it has: {known}{fix}")
    chosen = whole.contexts[name]
    for kind, ref, defined in (
        ("cluster", chosen.cluster, whole.clusters),
        ("user", chosen.user, whole.users),
    ):
        if ref is not None and ref not in defined:
            raise InputError(
                f"context {name!r} of kubeconfig {path} names {kind} {ref!r}, which it does "
                f"not define; it has {kind}s: {', '.join(sorted(defined)) or 'none'}"
            )
    return name


def _read_yaml(path: Path) -> Any:
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_KUBECONFIG_BYTES + 1)
    except OSError as exc:
        raise InputError(f"kubeconfig {path} cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_KUBECONFIG_BYTES:
        raise InputError(
            f"kubeconfig {path} is larger than {MAX_KUBECONFIG_BYTES // (1024 * 1024)} MB; "
            "is it a kubeconfig? (`kubectl config view --minify --flatten` makes a small one)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"kubeconfig {path} is not UTF-8 text") from None
    # The bounded reader every Kapstan YAML read uses: an alias bomb or deep nesting is
    # refused here, before lightkube reads the same file with its own unbounded loader.
    documents = load_data(text, f"kubeconfig {path}")
    return documents[0] if documents else None


def _sections(path: Path, data: Any, required: tuple[str, ...] = tuple(SECTIONS)) -> Any:
    """lightkube's KubeConfig of ``data``, each section checked first."""
    if data is None or data == "":
        raise InputError(
            f"kubeconfig {path} is empty; pass a kubeconfig file (`kubectl config view "
            "--minify --flatten` writes one)"
        )
    if not isinstance(data, dict):
        raise InputError(
            f"kubeconfig {path} is not a kubeconfig: its top level is a {_kind(data)}, not a "
            "mapping with clusters, contexts and users"
        )
    for section, key in SECTIONS.items():
        if section not in data and section not in required:
            continue
        if section not in data:
            raise InputError(
                f"kubeconfig {path} has no '{section}' section; a kubeconfig lists its "
                "clusters, contexts and users (an empty list is allowed)"
            )
        entries = data[section]
        if not isinstance(entries, list):
            raise InputError(
                f"'{section}' of kubeconfig {path} must be a list, not a {_kind(entries)}"
            )
        for index, entry in enumerate(entries, 1):
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("name"), str)
                and isinstance(entry.get(key), dict)
            ):
                raise InputError(
                    f"entry {index} of '{section}' in kubeconfig {path} needs a 'name' and "
                    f"a '{key}' mapping"
                )
    try:
        return KubeConfig.from_dict(data, fname=path)
    except (ConfigError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"kubeconfig {path} cannot be used: {exc}") from None


def _kind(value: Any) -> str:
    names = {dict: "mapping", list: "list", str: "string", bool: "boolean"}
    return next((n for t, n in names.items() if isinstance(value, t)), type(value).__name__)


def _context(whole: Any, path: Path, context: str | None) -> tuple[str, SingleConfig]:
    contexts = sorted(whole.contexts)
    name = context or whole.current_context
    if not name:
        raise ClusterError(
            f"kubeconfig {path} sets no current-context; name one of: {', '.join(contexts)}"
        )
    if name not in whole.contexts:
        raise ClusterError(
            f"context {name!r} is not in kubeconfig {path}; it has: {', '.join(contexts) or 'none'}"
        )
    try:
        return name, whole.get(context_name=name)
    except (ConfigError, KeyError) as exc:
        raise ClusterError(f"context {name!r} of kubeconfig {path} is incomplete: {exc}") from exc


def lightkube_client(target: Target, field_manager: str, timeout: float) -> Any:
    """A lightkube Client for ``target``; unreadable certificates name the kubeconfig."""
    client = _guarded(
        target,
        lambda: Client(
            target.config,
            field_manager=field_manager,
            timeout=httpx2.Timeout(timeout),
            trust_env=False,
        ),
    )
    # lightkube has no parameter for extra headers: its httpx2 client (``_client._client``)
    # merges its own headers into every request it builds, so they go there.
    client._client._client.headers.update(impersonation_headers(target.impersonate))
    return client


def raw_http(target: Target, timeout: float) -> httpx2.Client:
    """An httpx2 client with the kubeconfig's server, CA and credentials."""
    params = client_adapter.ConnectionParams(timeout=httpx2.Timeout(timeout), trust_env=False)
    client: httpx2.Client = _guarded(target, lambda: client_adapter.Client(target.config, params))
    client.headers.update(impersonation_headers(target.impersonate))
    return client


def impersonation_headers(identity: str | None) -> list[tuple[str, str]]:
    """Impersonate-User, and for a service account the groups the apiserver would give it.

    The apiserver adds no groups to an impersonated user: without these a service
    account's own RoleBindings to ``system:serviceaccounts`` would not apply.
    """
    if not identity:
        return []
    headers = [("Impersonate-User", identity)]
    if identity.startswith(SERVICE_ACCOUNT):
        namespace = identity[len(SERVICE_ACCOUNT) :].split(":")[0]
        groups = (
            "system:serviceaccounts",
            f"system:serviceaccounts:{namespace}",
            "system:authenticated",
        )
        headers += [("Impersonate-Group", g) for g in groups]
    return headers


def _guarded(target: Target, build: Any) -> Any:
    try:
        return build()
    except (ConfigError, OSError, ssl.SSLError, AssertionError) as exc:
        raise ClusterError(
            f"cannot use context {target.context!r} of kubeconfig {target.kubeconfig}: {exc}"
        ) from exc
