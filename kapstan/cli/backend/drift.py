"""Drift of an application, checked now; on the local store or a Kapstan server.

Remotely the server checks (``POST /applications/{app}/drift``) and its answer is decoded
back into the ``DriftView`` the local action returns, so both print alike. The server's
side is ``kapstan.cli.backend.remotedrift``.
"""

from __future__ import annotations

from typing import Protocol

from kapstan.actions.drift import DriftView, check_drift, drift_view
from kapstan.store import Store


class DriftPort(Protocol):
    def check(self, app: str) -> DriftView: ...


class LocalDrift:
    def __init__(self, store: Store) -> None:
        self.store = store

    def check(self, app: str) -> DriftView:
        return drift_view(self.store, app, check_drift(self.store, app))
