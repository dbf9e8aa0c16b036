"""Environment log rules on a Kapstan server: its answers decoded back into the local side's records.

Apart from ``kapstan.cli.backend.logrules`` so that the local commands load neither the API's
schemas nor the HTTP client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kapstan.actions.logrules import LogRulesView
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.logrules.rules import parse_rules
from kapstan.schemas.logrules import LogRulesOut

Rules = Sequence[Mapping[str, Any]]


class RemoteLogRules:
    """The server applies the collector with its own access to the cluster."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def set(self, name: str, rules: Rules, *, author: str) -> LogRulesView:
        # The server records its caller as the author.
        body = {"rules": [dict(r) for r in rules]}
        return _view(self.client.put(path("environments", name, "log-rules"), body))

    def show(self, name: str) -> LogRulesView:
        return _view(self.client.get(path("environments", name, "log-rules")))

    def clear(self, name: str, *, author: str) -> LogRulesView:
        return _view(self.client.delete(path("environments", name, "log-rules")))

    def apply(self, name: str) -> LogRulesView:
        return _view(self.client.post(path("environments", name, "log-rules", "apply"), {}))


def _view(data: Any) -> LogRulesView:
    answer = decode.parse(LogRulesOut, data)
    return LogRulesView(
        answer.environment,
        answer.namespace,
        parse_rules(answer.rules, lambda i: f"the server's rule #{i + 1}"),
        parse_rules(answer.template_rules, lambda i: f"the server's template rule #{i + 1}"),
        answer.config,
        tuple(_entry(text) for text in answer.applied),
        tuple(answer.warnings),
        tuple(answer.removed),
    )


def _entry(text: str) -> dict[str, str]:
    kind, _, where = text.partition(" ")
    namespace, _, name = where.rpartition("/")
    return {"kind": kind, "namespace": namespace, "name": name}
