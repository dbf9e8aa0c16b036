"""What an environment's cluster is, for rendering a chart the way it would be installed there.

``helm install`` asks the cluster its version and what it serves before rendering; an
import that names an environment does the same through its kubeconfig (and identity), so a
chart's ``kubeVersion:`` check and ``.Capabilities`` answer as they would on that cluster.
"""

from __future__ import annotations

from kapstan.actions.clusters import connect_environment
from kapstan.actions.storeports import EnvironmentReads
from kapstan.importers.helmrender import KubeTarget


def environment_target(store: EnvironmentReads, name: str) -> KubeTarget:
    """The Kubernetes version and served API versions of environment ``name``'s cluster."""
    env = store.get_environment(name)
    with connect_environment(env) as cluster:
        version = cluster.version()
        served = tuple(cluster.served_api_versions())
    return KubeTarget(version, served, f"environment {name}'s cluster")
