"""Environments on a Kapstan server (a kubeconfig is a path on the server, sent as given).

Apart from ``kapstan.cli.backend.environments`` so that the local commands load neither the
API's schemas nor the HTTP client.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from kapstan.actions.environments import EnvironmentDetails
from kapstan.cli.backend.environments import NOWHERE_ELSE, BoundaryChange, Place
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.store import Environment
from kapstan.store.environments import Unchanged

if TYPE_CHECKING:
    # The importers and the Kubernetes client: loaded by `kubernetes()` only (start-up time).
    from kapstan.importers.helmrender import KubeTarget


def _server_path(kubeconfig: str | os.PathLike[str]) -> str:
    return os.path.abspath(os.path.expanduser(os.fspath(kubeconfig)))


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
