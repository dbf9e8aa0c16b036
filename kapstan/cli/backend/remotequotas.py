"""Environment quotas on a Kapstan server: its answers decoded back into the local side's records.

Apart from ``kapstan.cli.backend.quotas`` so that the local commands load neither the API's
schemas nor the HTTP client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kapstan.actions.quotas import QuotaView
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.plan.quota import Quota
from kapstan.schemas.quotas import QuotaCleared, QuotaOut

Container = Mapping[tuple[str, str], str]


class RemoteQuotas:
    """The server applies the quota with its own access to the cluster."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def set(
        self,
        name: str,
        *,
        hard: Mapping[str, str],
        container: Container,
        unset: Sequence[str],
        author: str,
    ) -> QuotaView:
        # The server records its caller as the author.
        nested: dict[str, dict[str, str]] = {}
        for (field, resource), text in container.items():
            nested.setdefault(field, {})[resource] = text
        body: dict[str, Any] = {"hard": dict(hard), "container": nested, "unset": list(unset)}
        return _view(self.client.patch(path("environments", name, "quota"), body))

    def show(self, name: str, *, live: bool = True) -> QuotaView:
        return _view(self.client.get(path("environments", name, "quota"), live=live))

    def clear(self, name: str, *, author: str) -> list[str]:
        answer = decode.parse(QuotaCleared, self.client.delete(path("environments", name, "quota")))
        return list(answer.removed)


def _view(data: Any) -> QuotaView:
    answer = decode.parse(QuotaOut, data)
    applied = tuple(_entry(text) for text in answer.applied)
    quota = Quota(dict(answer.hard), {f: dict(v) for f, v in answer.container.items()})
    return QuotaView(
        answer.environment, answer.namespace, quota, applied, dict(answer.used), answer.unread
    )


def _entry(text: str) -> dict[str, str]:
    kind, _, where = text.partition(" ")
    namespace, _, name = where.rpartition("/")
    return {"kind": kind, "namespace": namespace, "name": name}
