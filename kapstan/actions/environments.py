"""Environment verbs: create (checking what it points at), clone, and show with its apps."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kapstan.errors import InputError
from kapstan.store import Application, ConfigVersion, Environment, Store


@dataclass(frozen=True)
class EnvironmentDetails:
    environment: Environment
    config: ConfigVersion | None
    applications: tuple[Application, ...]


def create_environment(
    store: Store,
    name: str,
    *,
    kubeconfig: str | os.PathLike[str],
    namespace: str,
    context: str | None = None,
    config: str | None = None,
) -> Environment:
    """A new environment; the kubeconfig must exist and is stored as an absolute path."""
    path = Path(kubeconfig).expanduser()
    if not path.is_file():
        raise InputError(f"environment {name!r}: kubeconfig {str(path)!r} is not a file")
    return store.create_environment(
        name,
        kubeconfig=str(path.resolve()),
        context=context,
        namespace=namespace,
        config=config,
    )


def clone_environment(store: Store, source: str, new: str, *, author: str) -> Environment:
    """``new`` = ``source`` with its own copy of ``source``'s config (named ``new``)."""
    return store.clone_environment(source, new, author=author)


def environment_details(store: Store, name: str) -> EnvironmentDetails:
    environment = store.get_environment(name)
    config = store.get_config(environment.config) if environment.config else None
    apps = tuple(a for a in store.list_applications() if a.environment == name)
    return EnvironmentDetails(environment, config, apps)
