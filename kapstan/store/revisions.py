"""Revisions: what each deploy applied to one service, numbered 1..n per app and service.

``manifests`` is stored exactly as given. Callers pass the rendered YAML with the data
of Secret objects redacted: a rollback renders again from the (immutable) template and
config versions recorded here, so secret values never need to live in a revision.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kapstan.errors import InputError, NotFoundError
from kapstan.store.applications import find_application
from kapstan.store.base import Repository
from kapstan.store.names import check_name, check_version
from kapstan.store.records import Revision
from kapstan.store.tables import RevisionRow

MAX_STATUS_LENGTH = 32


class RevisionStore(Repository):
    def add_revision(
        self,
        app: str,
        service: str,
        *,
        manifests: str,
        hash: str,
        template: str,
        template_version: int,
        config: str,
        config_version: int,
        author: str,
        message: str = "",
        status: str = "deployed",
    ) -> Revision:
        """Record a deploy of ``service`` of ``app`` as its next revision."""
        check_name("service", service)
        check_version("template", template_version)
        check_version("config", config_version)
        if not hash:
            raise InputError(f"revision of {app}/{service}: the hash is empty")
        if not status or len(status) > MAX_STATUS_LENGTH:
            raise InputError(f"revision of {app}/{service}: bad status {status!r}")

        def work(session: Session) -> Revision:
            row_app = find_application(session, app, lock=True)
            assert row_app is not None
            latest = session.scalar(
                select(func.max(RevisionRow.number)).where(
                    RevisionRow.application_id == row_app.id, RevisionRow.service == service
                )
            )
            row = RevisionRow(
                application_id=row_app.id,
                service=service,
                number=(latest or 0) + 1,
                manifests=manifests,
                hash=hash,
                template=template,
                template_version=template_version,
                config=config,
                config_version=config_version,
                author=author,
                message=message,
                status=status,
                created_at=self._now(),
            )
            session.add(row)
            session.flush()
            return _record(app, row)

        return self._write(work)

    def list_revisions(self, app: str, service: str | None = None) -> list[Revision]:
        """Revisions of ``app`` (of one ``service`` if given), by service then number."""

        def work(session: Session) -> list[Revision]:
            row_app = find_application(session, app)
            assert row_app is not None
            query = select(RevisionRow).where(RevisionRow.application_id == row_app.id)
            if service is not None:
                query = query.where(RevisionRow.service == service)
            rows = session.scalars(query.order_by(RevisionRow.service, RevisionRow.number))
            return [_record(app, row) for row in rows]

        return self._read(work)

    def get_revision(self, app: str, service: str, number: int) -> Revision:
        def work(session: Session) -> Revision:
            row_app = find_application(session, app)
            assert row_app is not None
            mine = (RevisionRow.application_id == row_app.id) & (RevisionRow.service == service)
            row = session.scalars(
                select(RevisionRow).where(mine, RevisionRow.number == number)
            ).first()
            if row is None:
                latest = session.scalar(select(func.max(RevisionRow.number)).where(mine))
                raise NotFoundError(_missing(app, service, number, latest))
            return _record(app, row)

        return self._read(work)


def _missing(app: str, service: str, number: int, latest: int | None) -> str:
    if latest is None:
        return f"service {service!r} of application {app!r} has no revisions"
    return (
        f"service {service!r} of application {app!r} has no revision {number} (latest is {latest})"
    )


def _record(app: str, row: RevisionRow) -> Revision:
    return Revision(
        app=app,
        service=row.service,
        number=row.number,
        manifests=row.manifests,
        hash=row.hash,
        template=row.template,
        template_version=row.template_version,
        config=row.config,
        config_version=row.config_version,
        author=row.author,
        message=row.message,
        status=row.status,
        created_at=row.created_at,
    )
