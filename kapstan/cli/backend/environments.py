"""Environments: create, clone, list, show; on the local store or a Kapstan server."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kapstan.actions import environments
from kapstan.actions.environments import EnvironmentDetails
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.store import Environment, Store
from kapstan.store.environments import UNCHANGED, Unchanged

if TYPE_CHECKING:
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


def _server_path(kubeconfig: str | os.PathLike[str]) -> str:
    return os.path.abspath(os.path.expanduser(os.fspath(kubeconfig)))


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
        return environments.set_config(self.store, name, config, author=author, via="cli")

    def set_self_heal(self, name: str, heal: bool, *, author: str) -> Environment:
        return environments.set_self_heal(self.store, name, heal, author=author, via="cli")


class RemoteEnvironments:
    """The kubeconfig of an environment is a path on the server, sent as given."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

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
        # A path on the server; made absolute so a server on this machine finds it.
        where = _server_path(kubeconfig) if kubeconfig is not None else None
        body = {
            "name": name,
            "cluster": cluster,
            "kubeconfig": where,
            "namespace": namespace,
            "context": context,
            "config": config,
            "shared": shared,
        }
        return decode.environment(self.client.post(path("environments"), body))

    def clone(
        self, source: str, new: str, *, author: str, place: Place = NOWHERE_ELSE
    ) -> Environment:
        # The server records its caller as the author.
        body: dict[str, Any] = {
            "name": new,
            "namespace": place.namespace,
            "context": place.context,
            "shared": place.shared,
        }
        if place.kubeconfig is not None:
            body["kubeconfig"] = _server_path(place.kubeconfig)
        created = self.client.post(path("environments", source, "clone"), body)
        return decode.environment(created)

    def set_boundary(self, name: str, change: BoundaryChange, *, author: str) -> Environment:
        # Read, change, write whole lists: the server records its caller as the author.
        env = decode.environment(self.client.get(path("environments", name)))
        settings = change.settings(env)
        body: dict[str, Any] = {
            "allowedNamespaces": settings["allowed_namespaces"],
            "allowedKinds": settings["allowed_kinds"],
            "shared": settings["shared"],
        }
        if not isinstance(settings["impersonate"], Unchanged):
            body["impersonate"] = settings["impersonate"]
        answer = self.client.put(path("environments", name, "boundary"), body)
        return decode.environment(answer)

    def list(self) -> list[Environment]:
        return [decode.environment(e) for e in self.client.pages(path("environments"))]

    def kubernetes(self, name: str) -> KubeTarget:
        from kapstan.importers.helmrender import KubeTarget

        body = self.client.get(path("environments", name, "kubernetes"))
        where = f"environment {name}'s cluster (asked by the server)"
        return KubeTarget(str(body["kubeVersion"]), tuple(body["apiVersions"]), where)

    def details(self, name: str) -> EnvironmentDetails:
        env = decode.environment(self.client.get(path("environments", name)))
        config = (
            decode.config_version(self.client.get(path("configs", env.config)))
            if env.config
            else None
        )
        apps = tuple(
            decode.application(a)
            for a in self.client.pages(path("applications"))
            if a.get("environment") == name
        )
        return EnvironmentDetails(env, config, apps)

    def set_approval(self, name: str, required: bool, *, author: str) -> Environment:
        # The server records its caller as the author.
        answer = self.client.put(path("environments", name, "approval"), {"required": required})
        return decode.environment(answer)

    def set_self_heal(self, name: str, heal: bool, *, author: str) -> Environment:
        # The server records its caller as the author.
        answer = self.client.put(path("environments", name, "self-heal"), {"enabled": heal})
        return decode.environment(answer)

    def set_config(self, name: str, config: str | None, *, author: str) -> Environment:
        # The server records its caller as the author.
        answer = self.client.put(path("environments", name, "config"), {"config": config})
        return decode.environment(answer)
