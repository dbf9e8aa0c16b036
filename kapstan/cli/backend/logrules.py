"""Environment log rules: set, show, clear, apply the collector; on the local store or a
Kapstan server (``kapstan.cli.backend.remotelogrules``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from kapstan.actions import logrules
from kapstan.actions.logrules import LogRulesView
from kapstan.store import Store

Rules = Sequence[Mapping[str, Any]]


class LogRulesPort(Protocol):
    def set(self, name: str, rules: Rules, *, author: str) -> LogRulesView: ...

    def show(self, name: str) -> LogRulesView: ...

    def clear(self, name: str, *, author: str) -> LogRulesView: ...

    def apply(self, name: str) -> LogRulesView: ...


class LocalLogRules:
    def __init__(self, store: Store) -> None:
        self.store = store

    def set(self, name: str, rules: Rules, *, author: str) -> LogRulesView:
        return logrules.set_rules(self.store, name, rules, author=author, via="cli")

    def show(self, name: str) -> LogRulesView:
        return logrules.show_rules(self.store, name)

    def clear(self, name: str, *, author: str) -> LogRulesView:
        return logrules.clear_rules(self.store, name, author=author, via="cli")

    def apply(self, name: str) -> LogRulesView:
        return logrules.apply_collector(self.store, name)
