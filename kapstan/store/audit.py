"""The audit log: who changed what, when, from which version to which. Append-only.

The store has no method to change or remove an entry, and the database refuses it too:
a trigger (installed by migration 0003) aborts any UPDATE or DELETE of ``audit_log``.
``details`` must be redacted by the caller; a ``SecretValue`` in it is refused.
Exports read page by page (by id), each page its own short transaction, so a long
export never holds a transaction open.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kapstan.errors import InputError
from kapstan.model.records import AuditEntry
from kapstan.store.base import Repository
from kapstan.store.payloads import plain_json
from kapstan.store.tables import AuditRow

MAX_LIMIT = 1000
EXPORT_PAGE = 500
MAX_ACTION_LENGTH = 64
MAX_KIND_LENGTH = 32


class AuditStore(Repository):
    def audit(
        self,
        actor: str,
        action: str,
        *,
        kind: str,
        name: str,
        environment: str | None = None,
        from_version: str | None = None,
        to_version: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry: ``actor`` did ``action`` (deploy, rollback...) to ``kind`` ``name``.

        ``details`` is plain JSON data the caller has redacted; a SecretValue anywhere in
        it is an InputError.
        """
        _check_word("actor", actor, 253)
        _check_word("action", action, MAX_ACTION_LENGTH)
        _check_word("kind", kind, MAX_KIND_LENGTH)
        _check_word("name", name, 253)
        plain = plain_json(f"audit details of {action} {kind} {name!r}", details)

        def work(session: Session) -> AuditEntry:
            row = AuditRow(
                at=self._now(),
                actor=actor,
                action=action,
                kind=kind,
                name=name,
                environment=environment,
                from_version=from_version,
                to_version=to_version,
                details=plain,
            )
            session.add(row)
            session.flush()
            return _record(row)

        return self._write(work)

    def list_audit(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        actor: str | None = None,
        kind: str | None = None,
        name: str | None = None,
        environment: str | None = None,
        since: datetime | None = None,
    ) -> list[AuditEntry]:
        """Entries matching every filter given, newest first; ``since`` is inclusive."""
        _check_count("limit", limit, 1)
        _check_count("offset", offset, 0)
        if limit > MAX_LIMIT:
            raise InputError(f"list at most {MAX_LIMIT} audit entries at a time, not {limit}")
        query = _matching(actor=actor, kind=kind, name=name, environment=environment, since=since)
        query = query.order_by(AuditRow.id.desc()).limit(limit).offset(offset)
        return self._read(partial(_records, query=query))

    def export_audit(self, since: datetime | None = None) -> Iterator[AuditEntry]:
        """Every entry (at or after ``since``), oldest first, read lazily page by page."""
        after = 0
        while True:
            query = _matching(since=since).where(AuditRow.id > after)
            query = query.order_by(AuditRow.id).limit(EXPORT_PAGE)
            page = self._read(partial(_records, query=query))
            yield from page
            if len(page) < EXPORT_PAGE:
                return
            after = page[-1].id


def _matching(
    *,
    actor: str | None = None,
    kind: str | None = None,
    name: str | None = None,
    environment: str | None = None,
    since: datetime | None = None,
) -> Select[AuditRow]:
    query = select(AuditRow)
    for column, wanted in (
        (AuditRow.actor, actor),
        (AuditRow.kind, kind),
        (AuditRow.name, name),
        (AuditRow.environment, environment),
    ):
        if wanted is not None:
            query = query.where(column == wanted)
    if since is not None:
        query = query.where(AuditRow.at >= since)
    return query


def _records(session: Session, *, query: Select[AuditRow]) -> list[AuditEntry]:
    return [_record(row) for row in session.scalars(query)]


def _check_word(field: str, value: str, limit: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"an audit entry needs a non-empty {field}")
    if len(value) > limit:
        raise InputError(f"audit {field} {value[:40]!r}... is longer than {limit} characters")


def _check_count(field: str, value: int, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InputError(f"audit {field} must be an integer of at least {least}, not {value!r}")


def _record(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        kind=row.kind,
        name=row.name,
        environment=row.environment,
        from_version=row.from_version,
        to_version=row.to_version,
        details=row.details,
    )
