"""Cluster rows as other repositories need them: found by name, and an environment's own.

Apart from ``kapstan.store.clusters`` so the environments repository can read the cluster
an environment runs on without importing the clusters repository (which reads environments).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from kapstan.errors import NotFoundError
from kapstan.model.values import SecretValue
from kapstan.store.codec import BoxSource
from kapstan.store.tables import ClusterRow, EnvironmentRow

LIVE_CLUSTER = ClusterRow.deleted_at.is_(None)


def find_cluster(session: Session, name: str) -> ClusterRow:
    row = session.scalars(select(ClusterRow).where(ClusterRow.name == name, LIVE_CLUSTER)).first()
    if row is None:
        raise NotFoundError(
            f"cluster {name!r} not found; `kapstan cluster list` shows the registered ones, "
            f"`kapstan cluster add {name} --kubeconfig FILE` registers one"
        )
    return row


def sealed_kubeconfig(row: ClusterRow, box: BoxSource) -> SecretValue:
    """The cluster's kubeconfig, decrypted on the first ``reveal()`` only."""
    token, what = row.kubeconfig_ciphertext, f"the kubeconfig of cluster {row.name!r}"
    return SecretValue(lambda: box().decrypt(token, what))


def cluster_of_row(
    row: EnvironmentRow, box: BoxSource | None
) -> tuple[str | None, SecretValue | None]:
    """The name of the cluster ``row`` runs on and (with ``box``) its kubeconfig, sealed."""
    if row.cluster_id is None:
        return None, None
    session = object_session(row)
    cluster = session.get(ClusterRow, row.cluster_id) if session is not None else None
    if cluster is None:
        return None, None
    return cluster.name, sealed_kubeconfig(cluster, box) if box is not None else None
