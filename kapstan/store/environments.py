"""Environments: where apps go (kubeconfig path, context, namespace) with their own config."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.store.base import Repository
from kapstan.store.config_rows import (
    copy_version,
    find_config,
    find_config_version,
    new_config,
)
from kapstan.store.names import check_name
from kapstan.store.records import Environment
from kapstan.store.tables import ApplicationRow, ConfigRow, EnvironmentRow


class EnvironmentStore(Repository):
    def create_environment(
        self, name: str, *, kubeconfig: str, context: str | None, namespace: str, config: str | None
    ) -> Environment:
        """A new environment; ``kubeconfig`` is a path, never the file's contents."""
        check_name("environment", name)
        check_name("namespace", namespace)
        if not kubeconfig:
            raise InputError(f"environment {name!r}: the kubeconfig path is empty")

        def work(session: Session) -> Environment:
            _check_free(session, name)
            config_row = find_config(session, config) if config is not None else None
            row = EnvironmentRow(
                name=name,
                kubeconfig=kubeconfig,
                context=context,
                namespace=namespace,
                config_id=config_row.id if config_row else None,
                created_at=self._now(),
                requires_approval=False,
            )
            session.add(row)
            session.flush()
            return _record(row, config_row)

        return self._write(work)

    def get_environment(self, name: str) -> Environment:
        return self._read(lambda session: _record(*find_environment(session, name)))

    def list_environments(self) -> list[Environment]:
        def work(session: Session) -> list[Environment]:
            rows = session.execute(
                select(EnvironmentRow, ConfigRow)
                .outerjoin(ConfigRow, ConfigRow.id == EnvironmentRow.config_id)
                .order_by(EnvironmentRow.name)
            )
            return [_record(env, config) for env, config in rows]

        return self._read(work)

    def environments_using_config(self, name: str) -> list[str]:
        """The environments using config ``name``, by name: as their own config, or as the
        config of an application there. NotFoundError if there is no config ``name``."""

        def work(session: Session) -> list[str]:
            config = find_config(session, name)
            of_apps = select(ApplicationRow.environment_id).where(
                ApplicationRow.config_id == config.id
            )
            found = session.scalars(
                select(EnvironmentRow.name)
                .where(or_(EnvironmentRow.config_id == config.id, EnvironmentRow.id.in_(of_apps)))
                .order_by(EnvironmentRow.name)
            )
            return list(found)

        return self._read(work)

    def clone_environment(self, src: str, new: str, *, author: str) -> Environment:
        """Copy ``src`` as ``new`` with its own config ``new`` = the latest of ``src``'s.

        One transaction: if any step fails (say a config ``new`` exists), nothing is
        written. Secrets are copied as ciphertext, so cloning needs no key. The approval
        requirement is copied too (safe by default); role grants are not.
        """
        check_name("environment", new)

        def work(session: Session) -> Environment:
            source, source_config = find_environment(session, src)
            _check_free(session, new)
            row = EnvironmentRow(
                name=new,
                kubeconfig=source.kubeconfig,
                context=source.context,
                namespace=source.namespace,
                config_id=None,
                created_at=self._now(),
                requires_approval=source.requires_approval,
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

    def set_environment_approval(self, name: str, required: bool) -> Environment:
        """Whether changes to ``name`` must wait for a second user's approval."""

        def work(session: Session) -> Environment:
            row, config = find_environment(session, name)
            row.requires_approval = bool(required)
            session.flush()
            return _record(row, config)

        return self._write(work)


def find_environment(session: Session, name: str) -> tuple[EnvironmentRow, ConfigRow | None]:
    found = session.execute(
        select(EnvironmentRow, ConfigRow)
        .outerjoin(ConfigRow, ConfigRow.id == EnvironmentRow.config_id)
        .where(EnvironmentRow.name == name)
    ).first()
    if found is None:
        raise NotFoundError(f"environment {name!r} not found")
    environment, config = found
    return environment, config


def _check_free(session: Session, name: str) -> None:
    if session.scalars(select(EnvironmentRow.id).where(EnvironmentRow.name == name)).first():
        raise ConflictError(f"environment {name!r} exists already")


def _record(row: EnvironmentRow, config: ConfigRow | None) -> Environment:
    return Environment(
        name=row.name,
        kubeconfig=row.kubeconfig,
        context=row.context,
        namespace=row.namespace,
        config=config.name if config else None,
        created_at=row.created_at,
        requires_approval=row.requires_approval,
    )
