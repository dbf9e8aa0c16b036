"""The page of an application family: one application in every environment.

/ui/apps/{app}/instances[?lineage=1]   the applications of app's template, each with its
                                       versions, health read live, drift, last operation

Read as ``kapstan app instances`` reads (``kapstan.actions.instances``): every cluster at
once, within ``TIMEOUT``; an instance whose cluster did not answer says why. Only the
instances in environments the viewer may view. Linked from the application's page and
from the fleet overview (``fleet``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from kapstan.api.routers.instances import visible_instances
from kapstan.web.common import PageRoute, ViewerDep, render

router = APIRouter(route_class=PageRoute)
TIMEOUT = 5.0  # seconds for all the clusters: a page must not hang on a dead one


@router.get("/apps/{app}/instances")
def instances_page(
    request: Request, viewer: ViewerDep, app: str, lineage: bool = False
) -> Response:
    view = visible_instances(viewer.caller, app, lineage, TIMEOUT, request)
    return render(request, "instances.html", view=view)
