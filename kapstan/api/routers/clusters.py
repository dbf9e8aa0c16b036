"""``/api/v1/clusters``: register (admins), list, show live, remove (admins); for clusters
Kapstan creates (admins): ``POST /create``, ``GET|POST /{name}/nodes``,
``POST /{name}/nodes/remove`` (cordon, drain, delete), ``DELETE /{name}/sandbox``.

Who sees a cluster: an administrator, or a user who may view an environment on it. No
answer carries a kubeconfig: the store keeps it encrypted and the records hold none.
"""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response

from kapstan import schemas
from kapstan.actions import clusterlife, clusters, clusterviews
from kapstan.actions.providers import ClusterProvider, NodeShape
from kapstan.api.auth import Caller, CallerDep
from kapstan.api.state import state_of
from kapstan.errors import InputError, NotFoundError
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


PROVIDER_SETTING = "KAPSTAN_CLUSTER_PROVIDER"  # "sandbox": this server may start sandboxes


def provider_enabled(request: Request) -> bool:
    """Whether this server creates clusters and changes their nodes: opt-in, since it starts
    processes on the server's machine (``KAPSTAN_CLUSTER_PROVIDER=sandbox``)."""
    state = state_of(request)
    environ = os.environ if state.environ is None else state.environ
    return state.cluster_provider is not None or environ.get(PROVIDER_SETTING) == "sandbox"


def cluster_provider(request: Request) -> ClusterProvider:
    """The server's cluster provider: its state's, else local sandboxes when enabled."""
    provider = state_of(request).cluster_provider
    if provider is not None:
        return provider
    if not provider_enabled(request):
        raise InputError(
            "this server creates no clusters and changes no nodes: start it with "
            f"{PROVIDER_SETTING}=sandbox to let it run sandbox clusters on its machine, or "
            "use `kapstan cluster create` without --server"
        )
    from kapstan.sandbox.provider import SandboxProvider  # loaded for these routes only

    return SandboxProvider()


@router.post("/create", status_code=201)
def create_cluster(
    caller: CallerDep, request: Request, body: schemas.ClusterNew
) -> schemas.ClusterOut:
    """Create a cluster (a sandbox control plane on the server's machine) and register it."""
    caller.require_admin("creating a cluster")
    cluster = clusterlife.create_cluster(
        caller.store,
        cluster_provider(request),
        body.name,
        nodes=body.nodes,
        metrics=body.metrics,
        author=caller.name,
        via="api",
    )
    return _out(cluster, [])


@router.delete("/{name}/sandbox", status_code=204)
def delete_cluster(caller: CallerDep, request: Request, name: str) -> Response:
    """Stop a cluster Kapstan created and forget it (refused while environments use it)."""
    caller.require_admin("deleting a cluster")
    clusterlife.delete_cluster(
        caller.store, cluster_provider(request), name, author=caller.name, via="api"
    )
    return Response(status_code=204)


@router.get("/{name}/nodes")
def list_nodes(caller: CallerDep, name: str) -> list[schemas.NodeOut]:
    visible_environments(caller, name)
    found = clusterlife.list_nodes(caller.store, name, timeout=10.0)
    return [schemas.NodeOut.model_validate(clusterlife.node_data(n)) for n in found]


@router.post("/{name}/nodes", status_code=201)
def add_nodes(
    caller: CallerDep, request: Request, name: str, body: schemas.NodesAdd
) -> list[schemas.NodeOut]:
    caller.require_admin("adding nodes")
    added = clusterlife.add_nodes(
        caller.store,
        cluster_provider(request),
        name,
        count=body.count,
        shape=NodeShape(cpu=body.cpu, memory=body.memory, pods=body.pods),
        author=caller.name,
        via="api",
        timeout=body.timeout,
    )
    return [schemas.NodeOut.model_validate(clusterlife.node_data(n)) for n in added]


@router.post("/{name}/nodes/remove")
def remove_nodes(
    caller: CallerDep, request: Request, name: str, body: schemas.NodesRemove
) -> list[schemas.NodeRemovalOut]:
    """Cordon, drain (evictions honouring PodDisruptionBudgets) and delete nodes; 409 naming
    the budget when one still forbids an eviction at the timeout (the node stays cordoned),
    naming the pods a drain would lose unless ``force`` / ``deleteEmptydirData`` (nothing
    changed), or naming the removal in progress on the cluster."""
    caller.require_admin("removing nodes")
    removed = clusterlife.remove_nodes(
        caller.store,
        cluster_provider(request),
        name,
        nodes=body.nodes,
        count=body.count,
        author=caller.name,
        via="api",
        timeout=body.timeout,
        force=body.force,
        delete_emptydir_data=body.delete_emptydir_data,
    )
    return [schemas.NodeRemovalOut.model_validate(clusterlife.removal_data(r)) for r in removed]
