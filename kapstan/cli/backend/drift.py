"""Drift of an application, checked now; on the local store or a Kapstan server.

Remotely the server checks (``POST /applications/{app}/drift``) and its answer is decoded
back into the ``DriftView`` the local action returns, so both print alike.
"""

from __future__ import annotations

from typing import Protocol

from kapstan.actions.drift import DriftView, ServiceDriftView, check_drift, drift_view
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.schemas.drift import DriftOut
from kapstan.store import Store


class DriftPort(Protocol):
    def check(self, app: str) -> DriftView: ...


class LocalDrift:
    def __init__(self, store: Store) -> None:
        self.store = store

    def check(self, app: str) -> DriftView:
        return drift_view(self.store, app, check_drift(self.store, app))


class RemoteDrift:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def check(self, app: str) -> DriftView:
        x = decode.parse(DriftOut, self.client.post(path("applications", app, "drift"), {}))
        return DriftView(
            x.app,
            x.environment,
            x.self_heal,
            tuple(
                ServiceDriftView(
                    s.service,
                    s.revision,
                    s.drifted,
                    tuple(s.fields),
                    s.diff,
                    s.note,
                    s.checked_at,
                    s.healed_by,
                )
                for s in x.services
            ),
            x.healed_by,
            x.heal_note,
        )
