"""Drift of an application, checked on a Kapstan server: its answers decoded back into the local side's records.

Apart from ``kapstan.cli.backend.drift`` so that the local commands load neither the API's
schemas nor the HTTP client.
"""

from __future__ import annotations

from kapstan.actions.drift import DriftView, ServiceDriftView
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.schemas.drift import DriftOut


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
