"""Environments: create, clone, list, show; the port and its side on the local store.

Each local method imports the actions it calls (they load the Kubernetes client): `env
list` reads the store only. The server's side is ``kapstan.cli.backend.remoteenvironments``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kapstan.store import Environment, Store
from kapstan.store.environments import UNCHANGED, Unchanged

if TYPE_CHECKING:
    from kapstan.actions.environments import EnvironmentDetails

    # The importers and the Kubernetes client: loaded by `kubernetes()` only (start-up time).
    from kapstan.importers.helmrender import KubeTarget


@dataclass(frozen=True)
class Place:
    """Where a clone goes, when not where its source is: None keeps the source's."""

    namespace: str | None = None
    kubeconfig: str | os.PathLike[str] | None = None
    context: str | None = None
    shared: bool | None = None


NOWHERE_ELSE = Place()


@dataclass(frozen=True)
class BoundaryChange:
    """``kapstan env set``: namespaces and kinds added or removed, identity, shared."""

    allow_namespaces: tuple[str, ...] = ()
    remove_namespaces: tuple[str, ...] = ()
    allow_kinds: tuple[str, ...] = ()
    remove_kinds: tuple[str, ...] = ()
    impersonate: str | Unchanged | None = UNCHANGED
    shared: bool | None = None

    def settings(self, env: Environment) -> dict[str, Any]:
        """The whole new settings of ``env`` (keyword arguments of ``set_boundary``)."""
        namespaces = _edit(env.allowed_namespaces, self.allow_namespaces, self.remove_namespaces)
        kinds = _edit(env.allowed_kinds, self.allow_kinds, self.remove_kinds)
        return {
            "allowed_namespaces": namespaces,
            "allowed_kinds": kinds,
            "impersonate": self.impersonate,
            "shared": self.shared,
        }


def _edit(current: tuple[str, ...], add: tuple[str, ...], remove: tuple[str, ...]) -> list[str]:
    return sorted((set(current) | set(add)) - set(remove))


def _details(env: Environment) -> dict[str, Any]:
    return {
        "allowedNamespaces": list(env.allowed_namespaces),
        "allowedKinds": list(env.allowed_kinds),
        "impersonate": env.impersonate,
        "shared": env.shared,
    }


class EnvironmentsPort(Protocol):
    def create(
        self,
        name: str,
        *,
        kubeconfig: str | os.PathLike[str] | None,
        namespace: str,
        context: str | None,
        config: str | None,
        shared: bool = False,
        cluster: str | None = None,
    ) -> Environment: ...

    def clone(
        self, source: str, new: str, *, author: str, place: Place = NOWHERE_ELSE
    ) -> Environment: ...

    def set_boundary(self, name: str, change: BoundaryChange, *, author: str) -> Environment: ...

    def list(self) -> list[Environment]: ...

    def details(self, name: str) -> EnvironmentDetails: ...

    def set_approval(self, name: str, required: bool, *, author: str) -> Environment: ...

    def set_self_heal(self, name: str, heal: bool, *, author: str) -> Environment: ...

    def set_config(self, name: str, config: str | None, *, author: str) -> Environment: ...

    def kubernetes(self, name: str) -> KubeTarget: ...


class LocalEnvironments:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self,
        name: str,
        *,
        kubeconfig: str | os.PathLike[str] | None,
        namespace: str,
        context: str | None,
        config: str | None,
        shared: bool = False,
        cluster: str | None = None,
    ) -> Environment:
        from kapstan.actions import environments

        return environments.create_environment(
            self.store,
            name,
            kubeconfig=kubeconfig,
            namespace=namespace,
            context=context,
            config=config,
            shared=shared,
            cluster=cluster,
        )

    def clone(
        self, source: str, new: str, *, author: str, place: Place = NOWHERE_ELSE
    ) -> Environment:
        from kapstan.actions import environments

        return environments.clone_environment(
            self.store,
            source,
            new,
            author=author,
            namespace=place.namespace,
            kubeconfig=place.kubeconfig,
            context=place.context,
            shared=place.shared,
        )

    def set_boundary(self, name: str, change: BoundaryChange, *, author: str) -> Environment:
        from kapstan.actions import environments

        env = self.store.get_environment(name)
        changed = environments.set_boundary(self.store, name, **change.settings(env))
        self.store.audit(
            author,
            "environment.boundary",
            kind="environment",
            name=name,
            environment=name,
            details={**_details(changed), "via": "cli"},
        )
        return changed

    def list(self) -> list[Environment]:
        return self.store.list_environments()

    def details(self, name: str) -> EnvironmentDetails:
        from kapstan.actions import environments

        return environments.environment_details(self.store, name)

    def kubernetes(self, name: str) -> KubeTarget:
        from kapstan.actions.kubetargets import environment_target

        return environment_target(self.store, name)

    def set_approval(self, name: str, required: bool, *, author: str) -> Environment:
        before = self.store.get_environment(name).requires_approval
        self.store.set_environment_approval(name, required)
        if before != required:
            self.store.audit(
                author,
                "environment.approval",
                kind="environment",
                name=name,
                environment=name,
                details={"requiresApproval": required, "via": "cli"},
            )
        return self.store.get_environment(name)

    def set_config(self, name: str, config: str | None, *, author: str) -> Environment:
        from kapstan.actions import environments

        return environments.set_config(self.store, name, config, author=author, via="cli")

    def set_self_heal(self, name: str, heal: bool, *, author: str) -> Environment:
        from kapstan.actions import environments

        return environments.set_self_heal(self.store, name, heal, author=author, via="cli")
