"""Environment quotas: set, show, clear; on the local store or a Kapstan server.

The server's side is ``kapstan.cli.backend.remotequotas``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from kapstan.actions import quotas
from kapstan.actions.quotas import QuotaView
from kapstan.store import Store

Container = Mapping[tuple[str, str], str]


class QuotasPort(Protocol):
    def set(
        self,
        name: str,
        *,
        hard: Mapping[str, str],
        container: Container,
        unset: Sequence[str],
        author: str,
    ) -> QuotaView: ...

    def show(self, name: str, *, live: bool = True) -> QuotaView: ...

    def clear(self, name: str, *, author: str) -> list[str]: ...


class LocalQuotas:
    def __init__(self, store: Store) -> None:
        self.store = store

    def set(
        self,
        name: str,
        *,
        hard: Mapping[str, str],
        container: Container,
        unset: Sequence[str],
        author: str,
    ) -> QuotaView:
        return quotas.set_quota(
            self.store, name, hard=hard, container=container, unset=unset, author=author, via="cli"
        )

    def show(self, name: str, *, live: bool = True) -> QuotaView:
        return quotas.show_quota(self.store, name, live=live)

    def clear(self, name: str, *, author: str) -> list[str]:
        return quotas.clear_quota(self.store, name, author=author, via="cli")
