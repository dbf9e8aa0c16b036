"""Environments: where apps go (kubeconfig path, context, namespace) with their own config."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.model.records import Environment
from kapstan.store.base import Repository
from kapstan.store.clusterrows import cluster_of_row, find_cluster
from kapstan.store.codec import BoxSource
from kapstan.store.config_rows import (
    copy_version,
    find_config,
    find_config_version,
    new_config,
)
from kapstan.store.names import check_name
from kapstan.store.tables import ApplicationRow, ConfigRow, EnvironmentRow

# A deleted environment keeps its row (history names it) but is never found by name.
LIVE_ENV = EnvironmentRow.deleted_at.is_(None)


class Unchanged(Enum):
    """The type of ``UNCHANGED``: a setting left as it is (where None has a meaning)."""

    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED


class EnvironmentStore(Repository):
    def create_environment(
        self,
        name: str,
        *,
        kubeconfig: str,
        context: str | None,
        namespace: str,
        config: str | None,
        shared: bool = False,
        cluster: str | None = None,
    ) -> Environment:
        """A new environment; ``kubeconfig`` is a path, never the file's contents.

        ``cluster``: the registered cluster it runs on (its clients are built from that
        cluster's kubeconfig); ``kubeconfig`` is then the path it was registered from, or "".
        """
        check_name("environment", name)
        check_name("namespace", namespace)
        if not kubeconfig and cluster is None:
            raise InputError(f"environment {name!r}: the kubeconfig path is empty")

        def work(session: Session) -> Environment:
            _check_free(session, name)
            config_row = find_config(session, config) if config is not None else None
            cluster_row = find_cluster(session, cluster) if cluster is not None else None
            row = EnvironmentRow(
                name=name,
                kubeconfig=kubeconfig,
                context=context,
                namespace=namespace,
                config_id=config_row.id if config_row else None,
                created_at=self._now(),
                requires_approval=False,
                shared=bool(shared),
                cluster_id=cluster_row.id if cluster_row else None,
            )
            session.add(row)
            session.flush()
            return _record(row, config_row, self._box)

        return self._write(work)

    def get_environment(self, name: str) -> Environment:
        return self._read(lambda session: _record(*find_environment(session, name), self._box))

    def list_environments(self) -> list[Environment]:
        def work(session: Session) -> list[Environment]:
            rows = session.execute(
                select(EnvironmentRow, ConfigRow)
                .outerjoin(ConfigRow, ConfigRow.id == EnvironmentRow.config_id)
                .where(LIVE_ENV)
                .order_by(EnvironmentRow.name)
            )
            return [_record(env, config, self._box) for env, config in rows]

        return self._read(work)

    def environments_using_config(self, name: str) -> list[str]:
        """The environments using config ``name``, by name: as their own config, or as the
        config of an application there. NotFoundError if there is no config ``name``."""

        def work(session: Session) -> list[str]:
            config = find_config(session, name)
            of_apps = select(ApplicationRow.environment_id).where(
                ApplicationRow.config_id == config.id, ApplicationRow.deleted_at.is_(None)
            )
            found = session.scalars(
                select(EnvironmentRow.name)
                .where(LIVE_ENV)
                .where(or_(EnvironmentRow.config_id == config.id, EnvironmentRow.id.in_(of_apps)))
                .order_by(EnvironmentRow.name)
            )
            return list(found)

        return self._read(work)

    def clone_environment(
        self,
        src: str,
        new: str,
        *,
        author: str,
        namespace: str | None = None,
        kubeconfig: str | None = None,
        context: str | None = None,
        shared: bool | None = None,
    ) -> Environment:
        """Copy ``src`` as ``new`` with its own config ``new`` = the latest of ``src``'s.

        One transaction: if any step fails (say a config ``new`` exists), nothing is
        written. Secrets are copied as ciphertext, so cloning needs no key. The approval
        requirement, the tenancy boundary and self-heal are copied too (safe by default);
        role grants are not. ``namespace``, ``kubeconfig``, ``context`` and ``shared`` replace the
        source's when given. With ``kubeconfig`` and no ``context``, the file's current one.
        """
        check_name("environment", new)
        if namespace is not None:
            check_name("namespace", namespace)

        def work(session: Session) -> Environment:
            source, source_config = find_environment(session, src)
            _check_free(session, new)
            row = EnvironmentRow(
                name=new,
                kubeconfig=kubeconfig or source.kubeconfig,
                context=context if (kubeconfig or context) else source.context,
                namespace=namespace or source.namespace,
                config_id=None,
                created_at=self._now(),
                requires_approval=source.requires_approval,
                allowed_namespaces=list(source.allowed_namespaces or []),
                allowed_kinds=list(source.allowed_kinds or []),
                impersonate=source.impersonate,
                shared=source.shared if shared is None else bool(shared),
                self_heal=source.self_heal,
                # Elsewhere (another kubeconfig or context): not on the source's cluster.
                cluster_id=None if (kubeconfig or context) else source.cluster_id,
            )
            session.add(row)
            session.flush()
            config_row = None
            if source_config is not None:
                latest = find_config_version(session, source_config, None)
                config_row = new_config(session, new, self._now())
                message = f"cloned from {source_config.name}@{latest.version}"
                copy_version(session, latest, config_row, author, message, self._now())
                row.config_id = config_row.id
                session.flush()
            return _record(row, config_row)

        return self._write(work)

    def set_environment_config(self, name: str, config: str | None) -> Environment:
        """``name``'s config from now on (None: none); NotFoundError if there is no ``config``."""

        def work(session: Session) -> Environment:
            row, _ = find_environment(session, name)
            config_row = find_config(session, config) if config is not None else None
            row.config_id = config_row.id if config_row else None
            session.flush()
            return _record(row, config_row)

        return self._write(work)

    def set_environment_approval(self, name: str, required: bool) -> Environment:
        """Whether changes to ``name`` must wait for a second user's approval."""

        def work(session: Session) -> Environment:
            row, config = find_environment(session, name)
            row.requires_approval = bool(required)
            session.flush()
            return _record(row, config)

        return self._write(work)

    def set_environment_boundary(
        self,
        name: str,
        *,
        allowed_namespaces: Sequence[str] | None = None,
        allowed_kinds: Sequence[str] | None = None,
        impersonate: str | Unchanged | None = UNCHANGED,
        shared: bool | None = None,
    ) -> Environment:
        """Change the tenancy boundary of ``name``; None (or UNCHANGED) keeps a setting.

        The lists replace the stored ones whole; ``impersonate=None`` stops impersonating.
        """

        def work(session: Session) -> Environment:
            row, config = find_environment(session, name)
            if allowed_namespaces is not None:
                row.allowed_namespaces = sorted(set(allowed_namespaces))
            if allowed_kinds is not None:
                row.allowed_kinds = sorted(set(allowed_kinds))
            if not isinstance(impersonate, Unchanged):
                row.impersonate = impersonate or None
            if shared is not None:
                row.shared = bool(shared)
            session.flush()
            return _record(row, config)

        return self._write(work)

    def set_environment_self_heal(self, name: str, heal: bool) -> Environment:
        """Whether drift the server finds in ``name`` is healed by re-applying the service."""

        def work(session: Session) -> Environment:
            row, config = find_environment(session, name)
            row.self_heal = bool(heal)
            session.flush()
            return _record(row, config)

        return self._write(work)

    def set_environment_quota(self, name: str, quota: Mapping[str, Any]) -> Environment:
        """``name``'s quota from now on, whole (JSON: see ``kapstan.plan.quota``)."""

        def work(session: Session) -> Environment:
            row, config = find_environment(session, name)
            row.quota = dict(quota)
            session.flush()
            return _record(row, config, self._box)

        return self._write(work)

    def set_environment_log_rules(self, name: str, data: Mapping[str, Any]) -> Environment:
        """``name``'s log rules and collector from now on, whole (``kapstan.actions.logrules``)."""

        def work(session: Session) -> Environment:
            row, config = find_environment(session, name)
            row.log_rules = dict(data)
            session.flush()
            return _record(row, config, self._box)

        return self._write(work)

    def mark_namespace_created(self, name: str) -> Environment:
        """Kapstan created the namespace of ``name``: only then may deleting it remove it."""

        def work(session: Session) -> Environment:
            row, config = find_environment(session, name)
            row.namespace_created = True
            session.flush()
            return _record(row, config)

        return self._write(work)


def find_environment(session: Session, name: str) -> tuple[EnvironmentRow, ConfigRow | None]:
    found = session.execute(
        select(EnvironmentRow, ConfigRow)
        .outerjoin(ConfigRow, ConfigRow.id == EnvironmentRow.config_id)
        .where(EnvironmentRow.name == name, LIVE_ENV)
    ).first()
    if found is None:
        raise NotFoundError(f"environment {name!r} not found")
    environment, config = found
    return environment, config


def _check_free(session: Session, name: str) -> None:
    taken = select(EnvironmentRow.id).where(EnvironmentRow.name == name, LIVE_ENV)
    if session.scalars(taken).first():
        raise ConflictError(f"environment {name!r} exists already")


def _record(
    row: EnvironmentRow, config: ConfigRow | None, box: BoxSource | None = None
) -> Environment:
    """``box``: the key, for a record that may connect (its cluster's kubeconfig, sealed)."""
    cluster, sealed = cluster_of_row(row, box)
    return Environment(
        name=row.name,
        kubeconfig=row.kubeconfig,
        context=row.context,
        namespace=row.namespace,
        config=config.name if config else None,
        created_at=row.created_at,
        requires_approval=row.requires_approval,
        allowed_namespaces=tuple(row.allowed_namespaces or ()),
        allowed_kinds=tuple(row.allowed_kinds or ()),
        impersonate=row.impersonate,
        shared=bool(row.shared),
        namespace_created=bool(row.namespace_created),
        self_heal=bool(row.self_heal),
        cluster=cluster,
        cluster_kubeconfig=sealed,
        quota=dict(row.quota or {}),
        log_rules=_log_rules(row.log_rules),
    )


def _log_rules(stored: Any) -> dict[str, Any]:
    # Written as a dict; the column's default (and an older writer) is a bare list of rules.
    if isinstance(stored, dict):
        return dict(stored)
    return {"rules": list(stored)} if isinstance(stored, list) and stored else {}
