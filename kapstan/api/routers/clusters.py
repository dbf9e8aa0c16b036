"""``/api/v1/clusters``: register (admins), list, show live, remove (admins).

Who sees a cluster: an administrator, or a user who may view an environment on it. No
answer carries a kubeconfig: the store keeps it encrypted and the records hold none.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from kapstan import schemas
from kapstan.actions import clusters, clusterviews
from kapstan.api.auth import Caller, CallerDep
from kapstan.errors import NotFoundError
from kapstan.model.records import Cluster

router = APIRouter(prefix="/api/v1/clusters", tags=["clusters"])


def _out(cluster: Cluster, environments: list[str]) -> schemas.ClusterOut:
    return schemas.ClusterOut.model_validate(clusterviews.cluster_data(cluster, environments))


def visible_environments(caller: Caller, name: str) -> list[str]:
    """The environments on cluster ``name``; NotFoundError if the caller may see none."""
    on = caller.store.environments_on_cluster(name)
    if not caller.user.admin and not set(on) & set(caller.environments_allowing("view")):
        raise NotFoundError(f"cluster {name!r} not found")  # as if absent: names stay private
    return on


@router.get("")
def list_clusters(caller: CallerDep) -> list[schemas.ClusterOut]:
    out = []
    for cluster in caller.store.list_clusters():
        try:
            out.append(_out(cluster, visible_environments(caller, cluster.name)))
        except NotFoundError:
            continue
    return out


@router.get("/{name}")
def show_cluster(caller: CallerDep, name: str, timeout: float = 10.0) -> schemas.ClusterReportOut:
    """The cluster read live, within ``timeout`` seconds (at most 30)."""
    visible_environments(caller, name)
    report = clusterviews.show_cluster(caller.store, name, timeout=min(max(timeout, 1.0), 30.0))
    return schemas.ClusterReportOut.model_validate(clusterviews.report_data(report))


@router.post("", status_code=201)
def add_cluster(caller: CallerDep, body: schemas.ClusterCreate) -> schemas.ClusterOut:
    caller.require_admin("registering a cluster")
    cluster = clusters.add_cluster(
        caller.store,
        body.name,
        kubeconfig=body.kubeconfig,
        context=body.context,
        author=caller.name,
        via="api",
    )
    return _out(cluster, [])


@router.delete("/{name}", status_code=204)
def remove_cluster(caller: CallerDep, name: str) -> Response:
    caller.require_admin("removing a cluster")
    clusters.remove_cluster(caller.store, name, author=caller.name, via="api")
    return Response(status_code=204)
