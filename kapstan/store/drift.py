"""Drift: the last check of each service of an application, and who checks next.

One row per (application, service): when it was checked, against which revision, whether
it drifted, the diff (secret values already redacted by the caller) and the fields, and
the operation that healed it. A new check replaces the row.

The row of service ``""`` (never a service name) is the application's check claim: the
periodic checker of every server process (``kapstan server --workers N``, replicas on
one PostgreSQL) claims an application before checking it, and exactly one wins per
interval. The claim is taken in one transaction under the application's row lock
(PostgreSQL ``SELECT ... FOR UPDATE``; SQLite's writers queue on BEGIN IMMEDIATE) and the
unique (application, service) constraint backs it up, as ``store.hookclaims`` does for
webhooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kapstan.store.applications import LIVE_APP, find_application
from kapstan.store.base import Repository
from kapstan.store.names import check_name
from kapstan.store.tables import ApplicationRow, DriftRow

CLAIM = ""  # the service name of an application's claim row


@dataclass(frozen=True)
class DriftCheck:
    """The last drift check of one service of ``app``."""

    app: str
    service: str
    checked_at: datetime
    drifted: bool
    revision: int | None
    diff: str
    fields: tuple[str, ...]
    healed_by: int | None = None  # the operation that re-applied it


class DriftStore(Repository):
    def record_drift(
        self,
        app: str,
        service: str,
        *,
        drifted: bool,
        revision: int | None,
        diff: str,
        fields: Sequence[str],
    ) -> DriftCheck:
        """Record the check of ``service`` just made (replacing the last one)."""
        check_name("service", service)

        def work(session: Session) -> DriftCheck:
            application = find_application(session, app, lock=True)
            assert application is not None
            row = _row(session, application.id, service)
            row.checked_at = self._now()
            row.drifted = bool(drifted)
            row.revision = revision
            row.diff = diff
            row.fields = list(fields)
            row.healed_by_operation_id = None
            session.flush()
            return _record(app, row)

        return self._write(work)

    def mark_drift_healed(self, app: str, services: Sequence[str], operation_id: int) -> None:
        """``operation_id`` re-applied ``services`` of ``app`` to heal their drift."""

        def work(session: Session) -> None:
            application = find_application(session, app, lock=True)
            assert application is not None
            rows = session.scalars(
                select(DriftRow).where(
                    DriftRow.application_id == application.id, DriftRow.service.in_(services)
                )
            )
            for row in rows:
                row.healed_by_operation_id = operation_id
            session.flush()

        self._write(work)

    def list_drift(self, app: str | None = None) -> list[DriftCheck]:
        """The last check of each service of ``app`` (of every application when None)."""

        def work(session: Session) -> list[DriftCheck]:
            query = (
                select(ApplicationRow.name, DriftRow)
                .join(ApplicationRow, ApplicationRow.id == DriftRow.application_id)
                .where(LIVE_APP, DriftRow.service != CLAIM)
            )
            if app is not None:
                query = query.where(ApplicationRow.name == app)
            rows = session.execute(query.order_by(ApplicationRow.name, DriftRow.service))
            return [_record(name, row) for name, row in rows]

        return self._read(work)

    def claim_drift_check(self, app: str, *, since: datetime) -> bool:
        """Claim the next check of ``app``: False when another process claimed one since
        ``since`` (it is checking, or checked it within the interval)."""

        def work(session: Session) -> bool:
            application = find_application(session, app, lock=True)
            assert application is not None
            row = _row(session, application.id, CLAIM)
            if row.id is not None and row.checked_at >= since:
                return False
            row.checked_at = self._now()
            session.flush()
            return True

        return self._write(work)


def _row(session: Session, application_id: int, service: str) -> DriftRow:
    """The row of ``service``, a new empty one (added to the session) when there is none."""
    found = session.scalars(
        select(DriftRow).where(
            DriftRow.application_id == application_id, DriftRow.service == service
        )
    ).first()
    if found is not None:
        return found
    row = DriftRow(
        application_id=application_id, service=service, drifted=False, diff="", fields=[]
    )
    session.add(row)
    return row


def _record(app: str, row: DriftRow) -> DriftCheck:
    return DriftCheck(
        app=app,
        service=row.service,
        checked_at=row.checked_at,
        drifted=row.drifted,
        revision=row.revision,
        diff=row.diff,
        fields=tuple(row.fields or ()),
        healed_by=row.healed_by_operation_id,
    )
