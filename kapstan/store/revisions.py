"""Revisions: what each deploy applied to one service, numbered 1..n per app and service.

``manifests`` is stored exactly as given. Callers pass the rendered YAML with the data
of Secret objects redacted: a rollback renders again from the (immutable) template and
config versions recorded here, so secret values never need to live in a revision.
``inventory`` lists the objects applied (with their uids): what pruning may delete.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Row, Table, Update, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.model.records import Revision
from kapstan.store.applications import LIVE_APP, find_application
from kapstan.store.base import Repository
from kapstan.store.inventories import check_inventory
from kapstan.store.names import check_name, check_version
from kapstan.store.operation_rows import check_belongs, find_operation
from kapstan.store.tables import ApplicationRow, OperationRow, RevisionRow

MAX_STATUS_LENGTH = 32
# A revision being applied and waited for; once its operation ends (or its process died)
# without finishing it, it becomes INTERRUPTED (or "cancelled"): never a rollback target.
PENDING = "pending"
INTERRUPTED = "interrupted"


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
        inventory: Sequence[Mapping[str, str]] = (),
        operation_id: int | None = None,
    ) -> Revision:
        """Record a deploy of ``service`` of ``app`` as its next revision.

        ``operation_id``, if given, must be an operation of ``app`` (NotFoundError if none).
        """
        new = NewRevision(
            app,
            service,
            manifests=manifests,
            hash=hash,
            template=template,
            template_version=template_version,
            config=config,
            config_version=config_version,
            author=author,
            message=message,
            status=status,
            inventory=inventory,
            operation_id=operation_id,
        )
        return self.record_revisions([new])[0]

    def record_revisions(self, changes: Sequence[RevisionChange]) -> list[Revision]:
        """New revisions and completions of pending ones, in order, in one transaction.

        A deploy's services record theirs together (``actions.journal``): one commit, and
        one wait for the disk, for all the services that start or finish at once. Each
        change is checked before anything is written; a NewRevision with ``expected``
        set is refused (ConflictError) unless it gets that number.
        """
        checked = [_checked(change) for change in changes]

        def work(session: Session) -> list[Revision]:
            return [
                self._add(session, change, entries)
                if isinstance(change, NewRevision)
                else _update(session, change, entries)
                for change, entries in checked
            ]

        return self._write(work) if checked else []

    def _add(self, session: Session, new: NewRevision, entries: list[dict[str, str]]) -> Revision:
        # Statements built once, on the connection: a deploy records three revision
        # writes per service, and the ORM's per-statement work was most of their cost.
        db = session.connection()
        app_id = db.execute(_LIVE_APP_ID_LOCKED, {"app": new.app}).scalar()
        if app_id is None:
            find_application(session, new.app)  # raises NotFoundError, worded as everywhere
        if new.operation_id is not None:
            owner = db.execute(_OPERATION_APP, {"op": new.operation_id}).scalar()
            if owner != app_id:  # missing, or another application's: the usual errors
                row_app = find_application(session, new.app)
                assert row_app is not None
                check_belongs(find_operation(session, new.operation_id), row_app)
        latest = db.execute(_LATEST_NUMBER, {"app_id": app_id, "svc": new.service}).scalar()
        number = (latest or 0) + 1
        if new.expected is not None and number != new.expected:
            raise ConflictError(
                f"{new.app}/{new.service}: revision {new.expected} was expected but the store "
                f"gave {number}; another operation recorded revisions at the same time"
            )
        values = {
            "application_id": app_id,
            "service": new.service,
            "number": number,
            "manifests": new.manifests,
            "hash": new.hash,
            "template": new.template,
            "template_version": new.template_version,
            "config": new.config,
            "config_version": new.config_version,
            "author": new.author,
            "message": new.message,
            "status": new.status,
            "created_at": self._now(),
            "inventory": entries,
            "operation_id": new.operation_id,
        }
        db.execute(_ADD_REVISION, values)
        return _record(new.app, SimpleNamespace(**values))

    def list_revisions(
        self, app: str, service: str | None = None, *, deleted: bool = False
    ) -> list[Revision]:
        """Revisions of ``app`` (of one ``service`` if given), by service then number.

        ``deleted``: of the last deleted application named ``app`` (its history stays).
        """

        def work(session: Session) -> list[Revision]:
            row_app = find_application(session, app, deleted=deleted)
            assert row_app is not None
            query = select(RevisionRow).where(RevisionRow.application_id == row_app.id)
            if service is not None:
                query = query.where(RevisionRow.service == service)
            rows = session.scalars(query.order_by(RevisionRow.service, RevisionRow.number))
            return [_record(app, row) for row in rows]

        return self._read(work)

    def get_revision(self, app: str, service: str, number: int) -> Revision:
        return self._read(lambda session: _record(app, _find(session, app, service, number)))

    def set_revision_status(self, app: str, service: str, number: int, status: str) -> Revision:
        """Mark revision ``number`` of ``service`` (say "deployed" once ready, or "failed")."""
        _check_status(app, service, status)

        def work(session: Session) -> Revision:
            row = _find(session, app, service, number)
            row.status = status
            session.flush()
            return _record(app, row)

        return self._write(work)

    def update_revision(
        self,
        app: str,
        service: str,
        number: int,
        *,
        inventory: Sequence[Mapping[str, str]],
        message: str | None = None,
        status: str | None = None,
    ) -> Revision:
        """Complete a revision recorded as pending: what it applied, and how it ended."""
        change = RevisionUpdate(app, service, number, inventory, message, status)
        return self.record_revisions([change])[0]

    def interrupt_revisions(
        self, app: str, *, operation_id: int | None = None, status: str = INTERRUPTED
    ) -> list[Revision]:
        """Mark the pending revisions of ``app`` (of one operation if given) as ``status``.

        Called when no operation can still be completing them: the caller holds the
        application's lock, or ``operation_id`` has ended. Returns those it marked.
        """
        _check_status(app, "*", status)

        def work(session: Session) -> list[Revision]:
            row_app = find_application(session, app, lock=True)
            assert row_app is not None
            rows = mark_pending(
                session, status, application_id=row_app.id, operation_id=operation_id
            )
            return [_record(app, row) for row in rows]

        return self._write(work)

    def revised_applications(self) -> set[str]:
        """The live applications with at least one revision: those a deploy ever wrote to a
        cluster (the others have nothing live to compare). One query for them all."""

        def work(session: Session) -> set[str]:
            query = (
                select(ApplicationRow.name)
                .where(LIVE_APP)
                .where(
                    select(RevisionRow.id)
                    .where(RevisionRow.application_id == ApplicationRow.id)
                    .exists()
                )
            )
            return set(session.scalars(query))

        return self._read(work)

    def latest_revision(
        self, app: str, service: str, *, status: str | None = "deployed"
    ) -> Revision | None:
        """The highest-numbered revision of ``service`` with ``status`` (any if None)."""

        def work(session: Session) -> Revision | None:
            row_app = find_application(session, app)
            assert row_app is not None
            query = select(RevisionRow).where(
                RevisionRow.application_id == row_app.id, RevisionRow.service == service
            )
            if status is not None:
                query = query.where(RevisionRow.status == status)
            row = session.scalars(query.order_by(RevisionRow.number.desc()).limit(1)).first()
            return None if row is None else _record(app, row)

        return self._read(work)

    def latest_revisions(self, app: str, services: Sequence[str]) -> dict[str, Revision | None]:
        """The highest-numbered revision of each of ``services`` (any status), in one read."""

        def work(session: Session) -> dict[str, Revision | None]:
            row_app = find_application(session, app)
            assert row_app is not None
            mine = RevisionRow.application_id == row_app.id
            newest = (
                select(RevisionRow.service, func.max(RevisionRow.number).label("number"))
                .where(mine, RevisionRow.service.in_(list(services)))
                .group_by(RevisionRow.service)
                .subquery()
            )
            at_newest = (RevisionRow.service == newest.c.service) & (
                RevisionRow.number == newest.c.number
            )
            rows = session.scalars(select(RevisionRow).join(newest, at_newest).where(mine))
            found = {row.service: _record(app, row) for row in rows}
            return {service: found.get(service) for service in services}

        return self._read(work) if services else {}


def mark_pending(
    session: Session,
    status: str,
    *,
    application_id: int | None = None,
    operation_id: int | None = None,
) -> list[RevisionRow]:
    """Pending revisions (of an application, of an operation) set to ``status``."""
    query = select(RevisionRow).where(RevisionRow.status == PENDING)
    if application_id is not None:
        query = query.where(RevisionRow.application_id == application_id)
    if operation_id is not None:
        query = query.where(RevisionRow.operation_id == operation_id)
    rows = list(session.scalars(query.order_by(RevisionRow.service, RevisionRow.number)))
    for row in rows:
        row.status = status
    session.flush()
    return rows


@dataclass(frozen=True)
class NewRevision:
    """A revision to record as the next of its service (``add_revision``'s arguments)."""

    app: str
    service: str
    manifests: str
    hash: str
    template: str
    template_version: int
    config: str
    config_version: int
    author: str
    message: str = ""
    status: str = "deployed"
    inventory: Sequence[Mapping[str, str]] = ()
    operation_id: int | None = None
    expected: int | None = None  # the number the recorder counted on


@dataclass(frozen=True)
class RevisionUpdate:
    """A pending revision completed (``update_revision``'s arguments)."""

    app: str
    service: str
    number: int
    inventory: Sequence[Mapping[str, str]]
    message: str | None = None
    status: str | None = None


RevisionChange = NewRevision | RevisionUpdate


def _checked(change: RevisionChange) -> tuple[RevisionChange, list[dict[str, str]]]:
    """``change`` and its inventory, checked; InputError naming the revision at fault."""
    if isinstance(change, NewRevision):
        check_name("service", change.service)
        check_version("template", change.template_version)
        check_version("config", change.config_version)
        if not change.hash:
            raise InputError(f"revision of {change.app}/{change.service}: the hash is empty")
        _check_status(change.app, change.service, change.status)
        return change, check_inventory(
            f"revision of {change.app}/{change.service}", change.inventory
        )
    entries = check_inventory(
        f"revision {change.number} of {change.app}/{change.service}", change.inventory
    )
    if change.status is not None:
        _check_status(change.app, change.service, change.status)
    return change, entries


def _update(session: Session, change: RevisionUpdate, entries: list[dict[str, str]]) -> Revision:
    values: dict[str, Any] = {"inventory": entries}
    if change.message is not None:
        values["message"] = change.message
    if change.status is not None:
        values["status"] = change.status
    where = {"app": change.app, "svc": change.service, "num": change.number}
    found = session.connection().execute(_updating(tuple(values)), where | values).first()
    if found is None:
        _find(session, change.app, change.service, change.number)  # NotFoundError, as ever
        raise AssertionError("unreachable: the revision was there to update")
    return _record(change.app, found)


_REVISIONS = cast(Table, RevisionRow.__table__)
_LIVE_APP_ID = (
    select(ApplicationRow.id).where(ApplicationRow.name == bindparam("app"), LIVE_APP).limit(1)
)
# Locked as ``find_application(lock=True)`` locks it: numbers are taken one writer at a time.
_LIVE_APP_ID_LOCKED = _LIVE_APP_ID.with_for_update()
_OPERATION_APP = select(OperationRow.application_id).where(OperationRow.id == bindparam("op"))
_LATEST_NUMBER = select(func.max(_REVISIONS.c.number)).where(
    _REVISIONS.c.application_id == bindparam("app_id"), _REVISIONS.c.service == bindparam("svc")
)
_ADD_REVISION = insert(_REVISIONS)


@functools.cache
def _updating(columns: tuple[str, ...]) -> Update:
    """UPDATE of ``columns`` of one revision (by app name, service, number), RETURNING it."""
    return (
        update(_REVISIONS)
        .where(
            _REVISIONS.c.application_id == _LIVE_APP_ID.scalar_subquery(),
            _REVISIONS.c.service == bindparam("svc"),
            _REVISIONS.c.number == bindparam("num"),
        )
        .values({c: bindparam(c) for c in columns})
        .returning(*_REVISIONS.c)
    )


def _find(session: Session, app: str, service: str, number: int) -> RevisionRow:
    row_app = find_application(session, app)
    assert row_app is not None
    mine = (RevisionRow.application_id == row_app.id) & (RevisionRow.service == service)
    row = session.scalars(select(RevisionRow).where(mine, RevisionRow.number == number)).first()
    if row is None:
        latest = session.scalar(select(func.max(RevisionRow.number)).where(mine))
        raise NotFoundError(_missing(app, service, number, latest))
    return row


def _check_status(app: str, service: str, status: str) -> None:
    if not status or len(status) > MAX_STATUS_LENGTH:
        raise InputError(f"revision of {app}/{service}: bad status {status!r}")


def _missing(app: str, service: str, number: int, latest: int | None) -> str:
    if latest is None:
        return f"service {service!r} of application {app!r} has no revisions"
    return (
        f"service {service!r} of application {app!r} has no revision {number} (latest is {latest})"
    )


def _record(app: str, row: RevisionRow | Row[Any] | SimpleNamespace) -> Revision:
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
        inventory=tuple(dict(entry) for entry in row.inventory),
        operation_id=row.operation_id,
    )
