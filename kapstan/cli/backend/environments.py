"""Environments: create, clone, list, show; on the local store or a Kapstan server."""

from __future__ import annotations

import os
from typing import Protocol

from kapstan.actions import environments
from kapstan.actions.environments import EnvironmentDetails
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.store import Environment, Store


class EnvironmentsPort(Protocol):
    def create(
        self, name: str, *, kubeconfig: str | os.PathLike[str], namespace: str,
        context: str | None, config: str | None,
    ) -> Environment: ...  # fmt: skip

    def clone(self, source: str, new: str, *, author: str) -> Environment: ...

    def list(self) -> list[Environment]: ...

    def details(self, name: str) -> EnvironmentDetails: ...

    def set_approval(self, name: str, required: bool, *, author: str) -> Environment: ...


class LocalEnvironments:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self, name: str, *, kubeconfig: str | os.PathLike[str], namespace: str,
        context: str | None, config: str | None,
    ) -> Environment:  # fmt: skip
        return environments.create_environment(
            self.store, name, kubeconfig=kubeconfig, namespace=namespace, context=context,
            config=config,
        )  # fmt: skip

    def clone(self, source: str, new: str, *, author: str) -> Environment:
        return environments.clone_environment(self.store, source, new, author=author)

    def list(self) -> list[Environment]:
        return self.store.list_environments()

    def details(self, name: str) -> EnvironmentDetails:
        return environments.environment_details(self.store, name)

    def set_approval(self, name: str, required: bool, *, author: str) -> Environment:
        before = self.store.get_environment(name).requires_approval
        self.store.set_environment_approval(name, required)
        if before != required:
            self.store.audit(author, "environment.approval", kind="environment", name=name,
                             environment=name, details={"requiresApproval": required, "via": "cli"})  # fmt: skip
        return self.store.get_environment(name)


class RemoteEnvironments:
    """The kubeconfig of an environment is a path on the server, sent as given."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def create(
        self, name: str, *, kubeconfig: str | os.PathLike[str], namespace: str,
        context: str | None, config: str | None,
    ) -> Environment:  # fmt: skip
        # A path on the server; made absolute so a server on this machine finds it.
        where = os.path.abspath(os.path.expanduser(os.fspath(kubeconfig)))
        body = {"name": name, "kubeconfig": where, "namespace": namespace,
                "context": context, "config": config}  # fmt: skip
        return decode.environment(self.client.post(path("environments"), body))

    def clone(self, source: str, new: str, *, author: str) -> Environment:
        # The server records its caller as the author.
        created = self.client.post(path("environments", source, "clone"), {"name": new})
        return decode.environment(created)

    def list(self) -> list[Environment]:
        return [decode.environment(e) for e in self.client.pages(path("environments"))]

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
