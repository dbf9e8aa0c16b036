"""``GET /api/v1/applications/{app}/instances``: the application in every environment.

The instances are the applications of the same template (``kapstan.actions.instances``),
in the environments the caller may view only: an instance elsewhere is left out, never
named. The application asked for must itself be viewable.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from kapstan.actions import instances
from kapstan.api.auth import Caller, CallerDep
from kapstan.api.state import clusters_of
from kapstan.schemas.instances import InstancesOut

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])


@router.get("/{app}/instances")
def app_instances(
    request: Request, caller: CallerDep, app: str, lineage: bool = False, timeout: float = 10.0
) -> InstancesOut:
    """Each instance's versions, live health, drift and last operation; every cluster read
    at once within ``timeout`` seconds (1 to 30). ``lineage``: only ``app``'s promotion
    line (its name plus ``-<environment>`` suffixes), not the whole family."""
    view = visible_instances(caller, app, lineage, min(max(timeout, 1.0), 30.0), request)
    return InstancesOut.model_validate(instances.instances_data(view))


def visible_instances(
    caller: Caller, app: str, lineage: bool, timeout: float, request: Request
) -> instances.InstancesView:
    """The instances of ``app`` in the environments ``caller`` may view (``app`` must be
    one of them), read with the process's kept clients; the console's page reads these."""
    caller.application(app, "view")
    return instances.app_instances(
        caller.store,
        app,
        lineage=lineage,
        environments=caller.environments_allowing("view"),
        timeout=timeout,
        clients=clusters_of(request).connect,
    )
