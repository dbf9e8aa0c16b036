"""Drift of an application: the last check of each service, or a check made now.

``GET /{app}/drift`` reads what the last check recorded (the server checks every
application periodically, ``kapstan server --drift-interval``); ``POST /{app}/drift``
checks now (a server-side apply dry run per object: nothing is written to the cluster)
and records it. Neither heals: the periodic check does, where the environment says so.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from kapstan.actions.drift import DriftView, check_drift, drift_view
from kapstan.api.auth import CallerDep
from kapstan.api.state import clusters_of
from kapstan.schemas.drift import DriftOut, ServiceDriftOut

router = APIRouter(prefix="/api/v1/applications", tags=["drift"])


@router.get("/{app}/drift")
def last_drift(caller: CallerDep, app: str) -> DriftOut:
    """What the last drift check found, per service (never checked: ``checkedAt`` null)."""
    caller.application(app, "view")
    return drift_out(drift_view(caller.store, app))


@router.post("/{app}/drift")
def check_drift_now(request: Request, caller: CallerDep, app: str) -> DriftOut:
    """Check now: each deployed service against its last revision, recorded."""
    caller.application(app, "view")
    report = check_drift(caller.store, app, clients=clusters_of(request).connect)
    return drift_out(drift_view(caller.store, app, report))


def drift_out(view: DriftView) -> DriftOut:
    return DriftOut(
        app=view.app,
        environment=view.environment,
        self_heal=view.self_heal,
        drifted=view.drifted,
        services=[
            ServiceDriftOut(
                service=s.service,
                revision=s.revision,
                drifted=s.drifted,
                checked_at=s.checked_at,
                fields=list(s.fields),
                diff=s.diff,
                note=s.note,
                healed_by=s.healed_by,
            )
            for s in view.services
        ],
        healed_by=view.healed_by,
        heal_note=view.heal_note,
    )
