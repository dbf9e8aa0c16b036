"""The fleet pages: every cluster's health at a glance, and one cluster read live.

/ui/clusters          nodes Ready, pods by phase, applications healthy, per cluster
/ui/clusters/{name}   one cluster: version, latency, nodes, checks, environments, apps

The overview also lists each application family, linked to its page in every environment
(``instances``).

Read as ``kapstan cluster show`` reads (``kapstan.actions.clusterviews``), each cluster in
bounded time; a cluster that cannot be reached is shown with the reason. Only the clusters
the viewer may see (an administrator, or a viewer of an environment on it).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from kapstan.actions import clusterviews, instances
from kapstan.api.routers.clusters import visible_environments
from kapstan.errors import NotFoundError
from kapstan.web.common import PageRoute, ViewerDep, render

router = APIRouter(route_class=PageRoute)
TIMEOUT = 5.0  # seconds per cluster: a page must not hang on a dead one


@router.get("/clusters")
def fleet_page(request: Request, viewer: ViewerDep) -> Response:
    caller = viewer.caller
    names = []
    for cluster in caller.store.list_clusters():
        try:
            visible_environments(caller, cluster.name)
        except NotFoundError:
            continue
        names.append(cluster.name)
    reports = clusterviews.fleet(caller.store, names, timeout=TIMEOUT)  # only those shown
    # Each application family (a template's applications), linked to its instances page.
    families = instances.families(caller.store, caller.environments_allowing("view"))
    return render(request, "clusters.html", reports=reports, families=families)


@router.get("/clusters/{name}")
def cluster_page(request: Request, viewer: ViewerDep, name: str) -> Response:
    visible_environments(viewer.caller, name)
    report = clusterviews.show_cluster(viewer.caller.store, name, timeout=TIMEOUT)
    return render(request, "cluster.html", report=report)
