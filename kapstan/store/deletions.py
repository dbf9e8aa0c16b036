"""Deleting templates, configs, environments and applications: soft, checked, in one transaction.

A deleted object keeps its row with ``deleted_at`` set, so what refers to it (revisions,
operations, the audit log) stays readable; lookups by name and lists skip it, and its
name may be used again. Nothing still in use is deleted: a template or config used by a
live application, a config that is an environment's own, an environment with live
applications. Each refusal names the users, and the check and the delete share one
transaction, so an application created meanwhile cannot slip between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError
from kapstan.model.operation import Step
from kapstan.model.records import Application
from kapstan.store.applications import LIVE_APP, find_application
from kapstan.store.base import Repository
from kapstan.store.config_rows import find_config
from kapstan.store.environments import LIVE_ENV, find_environment
from kapstan.store.operation_rows import add_event, check_belongs, find_operation
from kapstan.store.tables import (
    ApplicationLockRow,
    ApplicationRow,
    ApprovalRow,
    ConfigRow,
    EnvironmentRow,
    RoleGrantRow,
    TemplateRow,
    TemplateVersionRow,
)
from kapstan.store.templates import LIVE_VERSION, find_template_version


class DeletionStore(Repository):
    def delete_application(self, name: str, *, operation_id: int, owner: str, message: str) -> None:
        """End ``name``'s delete operation as succeeded, free its lock, mark it deleted.

        One transaction: never a deleted app with a running operation or a held lock.
        ConflictError if another operation holds its lock (ours was taken over).
        """

        def work(session: Session) -> None:
            app = find_application(session, name, lock=True)
            assert app is not None
            operation = find_operation(session, operation_id, lock=True)
            check_belongs(operation, app)
            held = session.get(ApplicationLockRow, app.id)
            if held is not None and (held.owner, held.operation_id) != (owner, operation_id):
                raise ConflictError(
                    f"application {name!r} was not deleted: operation {held.operation_id} of "
                    f"{held.owner} holds its lock now"
                )
            if held is not None:
                session.delete(held)
            now = self._now()
            if operation.finished_at is None:
                operation.status, operation.message = Step.SUCCEEDED.value, message
                operation.finished_at = now
            add_event(session, operation.id, now, "deleted", f"application {name} deleted")
            app.deleted_at = now
            mine = (ApprovalRow.application == name) & (
                ApprovalRow.environment_id == app.environment_id
            )
            _close_approvals(session, mine, now, f"application {name} was deleted")

        self._write(work)

    def get_deleted_application(self, name: str) -> Application:
        """The last deleted application named ``name`` (NotFoundError if none was)."""

        def work(session: Session) -> Application:
            row = find_application(session, name, deleted=True)
            assert row is not None
            found = session.execute(
                select(
                    TemplateRow.name,
                    TemplateVersionRow.version,
                    EnvironmentRow.name,
                    ConfigRow.name,
                )
                .join(TemplateVersionRow, TemplateVersionRow.template_id == TemplateRow.id)
                .where(TemplateVersionRow.id == row.template_version_id)
                .join(EnvironmentRow, EnvironmentRow.id == row.environment_id)
                .join(ConfigRow, ConfigRow.id == row.config_id)
            ).one()
            return Application(
                name=row.name,
                template=found[0],
                template_version=found[1],
                environment=found[2],
                config=found[3],
                config_version=row.config_version,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )

        return self._read(work)

    def delete_environment(self, name: str) -> None:
        """Mark environment ``name`` deleted, and drop its role grants.

        ConflictError naming its live applications, if it has any.
        """

        def work(session: Session) -> None:
            row, _ = find_environment(session, name)
            apps = _names(session, ApplicationRow.environment_id == row.id)
            if apps:
                raise ConflictError(
                    f"environment {name!r} is used by application(s) {', '.join(apps)}; delete "
                    f"them first (`kapstan app delete NAME`), or delete all with "
                    f"`kapstan env delete {name} --cascade`"
                )
            session.execute(delete(RoleGrantRow).where(RoleGrantRow.environment_id == row.id))
            row.deleted_at = self._now()
            _close_approvals(
                session,
                ApprovalRow.environment_id == row.id,
                row.deleted_at,
                f"environment {name} was deleted",
            )

        self._write(work)

    def delete_config(self, name: str) -> None:
        """Mark config ``name`` deleted; ConflictError naming an application or an
        environment that still uses it."""

        def work(session: Session) -> None:
            config = find_config(session, name, lock=True)
            apps = _names(session, ApplicationRow.config_id == config.id)
            if apps:
                raise ConflictError(
                    f"config {name!r} is used by application(s) {', '.join(apps)}; "
                    "delete them or point them at another config first"
                )
            envs = session.scalars(
                select(EnvironmentRow.name)
                .where(EnvironmentRow.config_id == config.id, LIVE_ENV)
                .order_by(EnvironmentRow.name)
            ).all()
            if envs:
                raise ConflictError(
                    f"config {name!r} is the own config of environment(s) {', '.join(envs)}; "
                    "delete the environment(s) first"
                )
            config.deleted_at = self._now()

        self._write(work)

    def delete_template(self, name: str, version: int | None = None) -> list[int]:
        """Mark version ``version`` of ``name`` deleted (None: every version, the template
        with them); the template goes too when no live version is left.

        Returns the version numbers deleted. ConflictError naming the live applications
        that use the version (or, for the whole template, any version).
        """

        def work(session: Session) -> list[int]:
            template, row = find_template_version(session, name, version)
            versions = session.scalars(
                select(TemplateVersionRow)
                .where(TemplateVersionRow.template_id == template.id, LIVE_VERSION)
                .order_by(TemplateVersionRow.version)
                .with_for_update()
            ).all()
            doomed = [row] if version is not None else list(versions)
            ids = [v.id for v in doomed]
            apps = _names(session, ApplicationRow.template_version_id.in_(ids))
            if apps:
                what = f"version {version} of template" if version is not None else "template"
                raise ConflictError(
                    f"{what} {name!r} is used by application(s) {', '.join(apps)}; "
                    "delete them or move them to another version (`kapstan app update`) first"
                )
            now = self._now()
            for v in doomed:
                v.deleted_at = now
            if len(doomed) == len(versions):
                template.deleted_at = now
            return [v.version for v in doomed]

        return self._write(work)


def _close_approvals(
    session: Session, where: ColumnElement[bool], now: datetime, reason: str
) -> None:
    """Approvals still open for what was deleted are rejected: nothing is left to change."""
    session.execute(
        update(ApprovalRow)
        .where(where, ApprovalRow.status.in_(("pending", "approved")))
        .values(status="rejected", decided_at=now, reason=reason)
    )


def _names(session: Session, where: ColumnElement[bool]) -> Sequence[str]:
    return session.scalars(
        select(ApplicationRow.name).where(where, LIVE_APP).order_by(ApplicationRow.name)
    ).all()
