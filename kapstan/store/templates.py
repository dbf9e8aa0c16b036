"""Template versions: saved once, never changed, deduplicated by digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from kapstan.errors import InputError, NotFoundError, TemplateError
from kapstan.model.filenames import check_file_names, shown
from kapstan.model.records import TemplateVersion
from kapstan.store.base import Repository
from kapstan.store.names import check_name
from kapstan.store.tables import TemplateRow, TemplateVersionRow

# Deleted templates and versions keep their rows (revisions name them) but are never found.
LIVE_TEMPLATE = TemplateRow.deleted_at.is_(None)
LIVE_VERSION = TemplateVersionRow.deleted_at.is_(None)


class TemplateStore(Repository):
    def save_template_version(
        self, name: str, files: dict[str, str], digest: str, *, author: str, message: str = ""
    ) -> tuple[TemplateVersion, bool]:
        """Save ``files`` as the next version of ``name``.

        Returns ``(version, True)``, or ``(latest, False)`` without writing anything
        when the latest version already has ``digest``.
        """
        check_name("template", name)
        _check_files(name, files)
        if not digest:
            raise InputError(f"template {name!r}: the digest is empty")

        def work(session: Session) -> tuple[TemplateVersion, bool]:
            template = _template_row(session, name, lock=True) or _new_template(
                session, name, self._now()
            )
            latest = _latest_row(session, template)
            if latest is not None and latest.digest == digest:
                return _record(template, latest), False
            # Numbers count deleted versions too: a number never means two contents.
            last = _latest_row(session, template, live=False)
            row = TemplateVersionRow(
                template_id=template.id,
                version=(last.version + 1) if last else 1,
                digest=digest,
                files=dict(files),
                author=author,
                message=message,
                created_at=self._now(),
            )
            session.add(row)
            session.flush()
            return _record(template, row), True

        return self._write(work)

    def get_template(self, name: str, version: int | None = None) -> TemplateVersion:
        """Version ``version`` of ``name``; the latest when ``version`` is None."""
        return self._read(lambda session: _record(*find_template_version(session, name, version)))

    def list_templates(self) -> list[TemplateVersion]:
        """The latest version of every template, by name."""

        def work(session: Session) -> list[TemplateVersion]:
            latest = (
                select(TemplateVersionRow.template_id, func.max(TemplateVersionRow.version))
                .where(LIVE_VERSION)
                .group_by(TemplateVersionRow.template_id)
                .subquery()
            )
            rows = session.execute(
                select(TemplateRow, TemplateVersionRow)
                .join(TemplateVersionRow, TemplateVersionRow.template_id == TemplateRow.id)
                .join(
                    latest,
                    (latest.c[0] == TemplateVersionRow.template_id)
                    & (latest.c[1] == TemplateVersionRow.version),
                )
                .where(LIVE_TEMPLATE)
                .order_by(TemplateRow.name)
            )
            return [_record(template, row) for template, row in rows]

        return self._read(work)

    def template_history(self, name: str) -> list[TemplateVersion]:
        """Every version of ``name``, oldest first."""

        def work(session: Session) -> list[TemplateVersion]:
            template = _template_row(session, name)
            if template is None:
                raise NotFoundError(f"template {name!r} not found")
            rows = session.scalars(
                select(TemplateVersionRow)
                .where(TemplateVersionRow.template_id == template.id, LIVE_VERSION)
                .order_by(TemplateVersionRow.version)
            )
            return [_record(template, row) for row in rows]

        return self._read(work)


def find_template_version(
    session: Session, name: str, version: int | None
) -> tuple[TemplateRow, TemplateVersionRow]:
    """The rows of ``name`` at ``version`` (None: latest), or NotFoundError."""
    template = _template_row(session, name)
    latest = _latest_row(session, template) if template else None
    if template is None or latest is None:
        raise NotFoundError(f"template {name!r} not found")
    if version is None or version == latest.version:
        return template, latest
    row = session.scalars(
        select(TemplateVersionRow).where(
            TemplateVersionRow.template_id == template.id, TemplateVersionRow.version == version
        )
    ).first()
    if row is None or row.deleted_at is not None:
        gone = " (it was deleted)" if row is not None else ""
        raise NotFoundError(
            f"template {name!r} has no version {version}{gone} (latest is {latest.version})"
        )
    return template, row


def _template_row(session: Session, name: str, *, lock: bool = False) -> TemplateRow | None:
    query = select(TemplateRow).where(TemplateRow.name == name, LIVE_TEMPLATE)
    return session.scalars(query.with_for_update() if lock else query).first()


def _new_template(session: Session, name: str, now: datetime) -> TemplateRow:
    row = TemplateRow(name=name, created_at=now)
    session.add(row)
    session.flush()
    return row


def _latest_row(
    session: Session, template: TemplateRow, *, live: bool = True
) -> TemplateVersionRow | None:
    """The newest live version of ``template`` (of any version, deleted too, if not ``live``)."""
    mine = TemplateVersionRow.template_id == template.id
    return session.scalars(
        select(TemplateVersionRow)
        .where(mine, LIVE_VERSION if live else true())
        .order_by(TemplateVersionRow.version.desc())
        .limit(1)
    ).first()


def _check_files(name: str, files: dict[str, str]) -> None:
    """The last gate before a row: every front door's file names obey ``model.filenames``."""
    try:
        check_file_names(files)
    except TemplateError as err:
        raise TemplateError(f"template {name!r}: {err}") from None
    for path, text in files.items():
        if not isinstance(text, str):
            raise InputError(f"template {name!r}: file {shown(path)} must be text")


def _record(template: TemplateRow, row: TemplateVersionRow) -> TemplateVersion:
    return TemplateVersion(
        name=template.name,
        version=row.version,
        files=dict(row.files),
        digest=row.digest,
        author=row.author,
        message=row.message,
        created_at=row.created_at,
    )
