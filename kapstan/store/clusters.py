"""Clusters: registered Kubernetes APIs, their kubeconfig kept encrypted with the store's key.

The kubeconfig text is encrypted as a secret config value is (``kapstan.store.crypto``)
and leaves this module only sealed (``SecretValue``, decrypted when a client is built).
A removed cluster keeps its row (an environment's history may name it) and frees its name.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError
from kapstan.model.records import Cluster
from kapstan.model.values import SecretValue
from kapstan.store.base import Repository
from kapstan.store.clusterrows import LIVE_CLUSTER, find_cluster, sealed_kubeconfig
from kapstan.store.environments import LIVE_ENV, find_environment
from kapstan.store.names import check_name
from kapstan.store.tables import ClusterRow, EnvironmentRow


class ClusterStore(Repository):
    def add_cluster(
        self,
        name: str,
        *,
        kubeconfig: str,
        context: str | None,
        server: str,
        created_by: str,
        sandbox: str | None = None,
    ) -> Cluster:
        """Register cluster ``name``; ``kubeconfig`` is the text, stored encrypted only."""
        check_name("cluster", name)
        token = self._box().encrypt(kubeconfig)  # before the transaction: no key, no write

        def work(session: Session) -> Cluster:
            _check_free(session, name)
            row = ClusterRow(
                name=name,
                kubeconfig_ciphertext=token,
                context=context,
                server=server,
                sandbox=sandbox,
                created_by=created_by,
                created_at=self._now(),
            )
            session.add(row)
            session.flush()
            return _record(row)

        return self._write(work)

    def get_cluster(self, name: str) -> Cluster:
        return self._read(lambda session: _record(find_cluster(session, name)))

    def list_clusters(self) -> list[Cluster]:
        def work(session: Session) -> list[Cluster]:
            rows = session.scalars(select(ClusterRow).where(LIVE_CLUSTER).order_by(ClusterRow.name))
            return [_record(row) for row in rows]

        return self._read(work)

    def cluster_kubeconfig(self, name: str) -> SecretValue:
        """Cluster ``name``'s kubeconfig, sealed: decrypted on ``reveal()`` only."""
        return self._read(lambda session: sealed_kubeconfig(find_cluster(session, name), self._box))

    def clusters_with_server(self, server: str) -> list[tuple[str, SecretValue]]:
        """The live clusters registered for ``server``, with their kubeconfigs sealed."""

        def work(session: Session) -> list[tuple[str, SecretValue]]:
            rows = session.scalars(
                select(ClusterRow)
                .where(ClusterRow.server == server, LIVE_CLUSTER)
                .order_by(ClusterRow.name)
            )
            return [(row.name, sealed_kubeconfig(row, self._box)) for row in rows]

        return self._read(work)

    def environments_on_cluster(self, name: str) -> list[str]:
        """The live environments that run on cluster ``name``, by name."""

        def work(session: Session) -> list[str]:
            cluster = find_cluster(session, name)
            found = session.scalars(
                select(EnvironmentRow.name)
                .where(EnvironmentRow.cluster_id == cluster.id, LIVE_ENV)
                .order_by(EnvironmentRow.name)
            )
            return list(found)

        return self._read(work)

    def set_environment_cluster(self, environment: str, cluster: str) -> None:
        """Environment ``environment`` runs on cluster ``cluster`` from now on."""

        def work(session: Session) -> None:
            row, _ = find_environment(session, environment)
            row.cluster_id = find_cluster(session, cluster).id
            session.flush()

        self._write(work)

    def remove_cluster(self, name: str) -> None:
        """Forget cluster ``name``; ConflictError naming the environments still on it."""

        def work(session: Session) -> None:
            row = find_cluster(session, name)
            users = session.scalars(
                select(EnvironmentRow.name)
                .where(EnvironmentRow.cluster_id == row.id, LIVE_ENV)
                .order_by(EnvironmentRow.name)
            ).all()
            if users:
                raise ConflictError(
                    f"cluster {name!r} is used by environment(s) {', '.join(users)}; delete "
                    "them first (`kapstan env delete NAME`)"
                )
            row.deleted_at = self._now()
            session.flush()

        self._write(work)


def _check_free(session: Session, name: str) -> None:
    taken = select(ClusterRow.id).where(ClusterRow.name == name, LIVE_CLUSTER)
    if session.scalars(taken).first():
        raise ConflictError(
            f"cluster {name!r} is registered already; `kapstan cluster show {name}` shows it, "
            "or pick another name"
        )


def _record(row: ClusterRow) -> Cluster:
    return Cluster(
        name=row.name,
        server=row.server,
        context=row.context,
        created_by=row.created_by,
        created_at=row.created_at,
        sandbox=row.sandbox,
    )
