"""The fleet pages: every cluster's health at a glance, and one cluster read live.

/ui/clusters          nodes Ready, pods by phase, applications healthy, per cluster
/ui/clusters/{name}   one cluster: version, latency, nodes, checks, environments, apps
/ui/clusters/{name}/nodes         (POST, admins, clusters Kapstan created) add nodes
/ui/clusters/{name}/nodes/remove  (POST, same) cordon, drain and delete one node

The overview also lists each application family, linked to its page in every environment
(``instances``).

Read as ``kapstan cluster show`` reads (``kapstan.actions.clusterviews``), each cluster in
bounded time; a cluster that cannot be reached is shown with the reason. Only the clusters
the viewer may see (an administrator, or a viewer of an environment on it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from kapstan.actions import clusterlife, clusterviews, instances
from kapstan.actions.providers import NodeShape
from kapstan.api.routers.clusters import cluster_provider, provider_enabled, visible_environments
from kapstan.errors import NotFoundError
from kapstan.web.common import PageRoute, PosterDep, ViewerDep, redirect, render

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
    created = report.cluster.sandbox is not None
    may_change = viewer.caller.user.admin and created and provider_enabled(request)
    return render(request, "cluster.html", report=report, may_change_nodes=may_change)


@router.post("/clusters/{name}/nodes")
def add_nodes(
    request: Request,
    viewer: PosterDep,
    name: str,
    count: Annotated[int, Form()] = 1,
    cpu: Annotated[str, Form()] = "4",
    memory: Annotated[str, Form()] = "8Gi",
    pods: Annotated[str, Form()] = "110",
) -> Response:
    viewer.caller.require_admin("adding nodes")
    clusterlife.add_nodes(
        viewer.caller.store,
        cluster_provider(request),
        name,
        count=count,
        shape=NodeShape(cpu=cpu, memory=memory, pods=pods),
        author=viewer.name,
        via="console",
    )
    return redirect(f"/clusters/{name}")


@router.post("/clusters/{name}/nodes/remove")
def remove_node(
    request: Request,
    viewer: PosterDep,
    name: str,
    node: Annotated[str, Form()],
    force: Annotated[bool, Form()] = False,
    delete_emptydir_data: Annotated[bool, Form()] = False,
) -> Response:
    viewer.caller.require_admin("removing nodes")
    clusterlife.remove_nodes(
        viewer.caller.store,
        cluster_provider(request),
        name,
        nodes=[node],
        author=viewer.name,
        via="console",
        force=force,
        delete_emptydir_data=delete_emptydir_data,
    )
    return redirect(f"/clusters/{name}")
