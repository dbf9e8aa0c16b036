"""Deploys: on the local store or a Kapstan server (skeleton: filled in with the CLI's commands)."""

from __future__ import annotations

from typing import Protocol

from kapstan.client.http import ApiClient
from kapstan.store import Store


class DeploysPort(Protocol):
    pass


class LocalDeploys:
    def __init__(self, store: Store) -> None:
        self.store = store


class RemoteDeploys:
    def __init__(self, client: ApiClient) -> None:
        self.client = client
