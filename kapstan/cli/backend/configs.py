"""Configs: on the local store or a Kapstan server (skeleton: filled in with the CLI's commands)."""

from __future__ import annotations

from typing import Protocol

from kapstan.client.http import ApiClient
from kapstan.store import Store


class ConfigsPort(Protocol):
    pass


class LocalConfigs:
    def __init__(self, store: Store) -> None:
        self.store = store


class RemoteConfigs:
    def __init__(self, client: ApiClient) -> None:
        self.client = client
