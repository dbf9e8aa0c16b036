"""Applications: a template version, an environment and a config, managed together.

The API lists and shows applications with some keys of the config version each uses
(``page_application_views``, ``application_view``), in ONE query: ``_query`` (the app
and the names it points at) joined to the config version used (pinned, else the latest,
by a correlated subquery) and, per key, an outer join to its value row; a page's total is
a window count over the same rows (only a page past the end counts apart).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Integer, Select, String, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased

from kapstan.errors import ConflictError, NotFoundError
from kapstan.model.records import Application, ConfigKeys
from kapstan.store import codec
from kapstan.store.base import Repository
from kapstan.store.config_rows import find_config, find_config_version
from kapstan.store.environments import find_environment
from kapstan.store.names import check_name
from kapstan.store.tables import (
    ApplicationRow,
    ConfigRow,
    ConfigValueRow,
    ConfigVersionRow,
    EnvironmentRow,
    TemplateRow,
    TemplateVersionRow,
)
from kapstan.store.templates import find_template_version

# Deleted applications keep their rows (history stays readable) but are never found by name.
LIVE_APP = ApplicationRow.deleted_at.is_(None)
AppView = tuple[Application, ConfigKeys]
Ts = TypeVarTuple("Ts")


class _Keep:
    """The default of ``update_application`` fields: keep what is stored."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


class ApplicationStore(Repository):
    def create_application(
        self,
        name: str,
        *,
        template: str,
        template_version: int,
        environment: str,
        config: str,
        config_version: int | None,
    ) -> Application:
        """A new app; ``config_version`` None follows the config's latest version."""
        check_name("application", name)

        def work(session: Session) -> Application:
            if find_application(session, name, missing_ok=True) is not None:
                raise ConflictError(f"application {name!r} exists already")
            now = self._now()
            row = ApplicationRow(name=name, created_at=now, updated_at=now)
            _point(session, row, template, template_version, environment, config, config_version)
            session.add(row)
            session.flush()
            return _record(row, template, template_version, environment, config)

        return self._write(work)

    def get_application(self, name: str) -> Application:
        def work(session: Session) -> Application:
            found = session.connection().execute(_one_statement(), {"app_name": name}).first()
            if found is None:
                raise NotFoundError(f"application {name!r} not found{_deleted_hint(session, name)}")
            return _application(found)

        return self._read(work)

    def list_applications(self) -> list[Application]:
        return self._read(lambda session: [_record(*found) for found in _fetch(session)])

    def find_applications(
        self, *, environments: Collection[str] | None = None, search: str | None = None
    ) -> list[Application]:
        """``list_applications`` narrowed as ``page_applications`` narrows it, unpaged."""
        where = _filters(environments, search)
        return self._read(lambda session: [_record(*found) for found in _fetch(session, *where)])

    def page_applications(
        self,
        *,
        limit: int,
        offset: int,
        environments: Collection[str] | None = None,
        search: str | None = None,
    ) -> tuple[list[Application], int]:
        """One page of ``list_applications`` (same order) and how many match in all.

        ``environments``: only apps there (None: anywhere). ``search``: only apps whose
        name, template, environment or config contains it, ignoring case.
        """
        where = _filters(environments, search)

        def work(session: Session) -> tuple[list[Application], int]:
            query = _query(*where)
            total = session.scalar(
                select(func.count()).select_from(query.order_by(None).subquery())
            )
            rows = session.execute(query.limit(limit).offset(offset))
            return [_record(r, t, v, e, c) for r, t, v, e, c in rows], int(total or 0)

        return self._read(work)

    def page_application_views(
        self,
        *,
        limit: int,
        offset: int,
        keys: Collection[str],
        environments: Collection[str] | None = None,
        search: str | None = None,
    ) -> tuple[list[AppView], int]:
        """``page_applications``, each app with ``keys`` of its config version: one query."""
        names = tuple(sorted(set(keys)))
        statement = _page_statement(names, environments is not None, bool(search))
        bound: dict[str, object] = {"limit": limit, "offset": offset}
        if environments is not None:
            bound["environments"] = sorted(environments)
        if search:
            bound["search"] = _contains_pattern(search)

        def work(session: Session) -> tuple[list[AppView], int]:
            rows = session.connection().execute(statement, bound).all()
            if rows:
                total = int(rows[0][-1])
            else:
                every = _query(*_filters(environments, search)).order_by(None).subquery()
                total = int(session.scalar(select(func.count()).select_from(every)) or 0)
            return [self._view(row, names) for row in rows], total

        return self._read(work)

    def application_view(self, name: str, keys: Collection[str]) -> tuple[AppView, str]:
        """``get_application(name)`` and ``keys`` of the config version it uses, and the
        stored digest of its template version's content: one query."""

        names = tuple(sorted(set(keys)))
        statement = _view_statement(names)

        def work(session: Session) -> tuple[AppView, str]:
            row = session.connection().execute(statement, {"app_name": name}).first()
            if row is None:
                raise NotFoundError(f"application {name!r} not found{_deleted_hint(session, name)}")
            return self._view(row, names), str(row[-1])

        return self._read(work)

    def _view(self, row: Sequence[Any], keys: Sequence[str]) -> AppView:
        """A row of ``_with_keys``: the app's columns, its config version, then
        ``_VALUE_COLUMNS`` per key (all None where the version has no such key)."""
        app = _application(row)
        at = len(_APP_COLUMNS)
        version = int(row[at])
        width = len(_VALUE_COLUMNS)
        found = (row[at + 1 + i * width : at + 1 + (i + 1) * width] for i in range(len(keys)))
        values = [(key, secret, plain, cipher) for key, secret, plain, cipher in found if key]
        what = f"config {app.config!r} version {version}"
        return app, ConfigKeys(app.config, version, codec.decode_columns(what, values, self._box))

    def update_application(
        self,
        name: str,
        *,
        template: str | _Keep = KEEP,
        template_version: int | _Keep = KEEP,
        environment: str | _Keep = KEEP,
        config: str | _Keep = KEEP,
        config_version: int | _Keep | None = KEEP,
    ) -> Application:
        """Change what ``name`` points at; fields not given keep their value.

        The resulting combination is checked as on create (NotFoundError naming what).
        """

        def work(session: Session) -> Application:
            row = find_application(session, name, lock=True)
            assert row is not None
            _, old_template, old_version, old_environment, old_config = _fetch(
                session, ApplicationRow.id == row.id
            )[0]
            wanted = (
                old_template if isinstance(template, _Keep) else template,
                old_version if isinstance(template_version, _Keep) else template_version,
                old_environment if isinstance(environment, _Keep) else environment,
                old_config if isinstance(config, _Keep) else config,
            )
            kept = row.config_version
            _point(
                session, row, *wanted, kept if isinstance(config_version, _Keep) else config_version
            )
            row.updated_at = self._now()
            session.flush()
            return _record(row, *wanted)

        return self._write(work)


def find_application(
    session: Session,
    name: str,
    *,
    lock: bool = False,
    missing_ok: bool = False,
    deleted: bool = False,
) -> ApplicationRow | None:
    """The live application ``name``; with ``deleted``, the last deleted one of that name."""
    query = select(ApplicationRow).where(ApplicationRow.name == name)
    if deleted:
        query = query.where(ApplicationRow.deleted_at.is_not(None)).order_by(
            ApplicationRow.deleted_at.desc(), ApplicationRow.id.desc()
        )
    else:
        query = query.where(LIVE_APP)
    row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None and not missing_ok:
        if deleted:
            raise NotFoundError(f"no deleted application is named {name!r}")
        raise NotFoundError(f"application {name!r} not found{_deleted_hint(session, name)}")
    return row


def _deleted_hint(session: Session, name: str) -> str:
    """Where the history of a deleted application of that name is still readable."""
    gone = session.scalar(
        select(func.max(ApplicationRow.deleted_at)).where(ApplicationRow.name == name)
    )
    if gone is None:
        return ""
    at = gone.strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f" (it was deleted at {at}; its history stays readable: "
        f"`kapstan app operations {name} --deleted`, `kapstan app history {name} --deleted`)"
    )


def _point(
    session: Session,
    row: ApplicationRow,
    template: str,
    template_version: int,
    environment: str,
    config: str,
    config_version: int | None,
) -> None:
    """Point ``row`` at these objects, each checked to exist."""
    _, version_row = find_template_version(session, template, template_version)
    environment_row, _ = find_environment(session, environment)
    config_row = find_config(session, config)
    if config_version is not None:
        find_config_version(session, config_row, config_version)
    row.template_version_id = version_row.id
    row.environment_id = environment_row.id
    row.config_id = config_row.id
    row.config_version = config_version


def _fetch(
    session: Session, *where: ColumnElement[bool]
) -> list[tuple[ApplicationRow, str, int, str, str]]:
    """Apps with the names they point at: (row, template, version, environment, config)."""
    return [(row, t, v, e, c) for row, t, v, e, c in session.execute(_query(*where))]


# Built once: a fresh alias per query costs more Python time than running the query.
_VERSION = aliased(TemplateVersionRow)


def _query(
    *where: ColumnElement[bool],
) -> Select[ApplicationRow, str, int, str, str]:
    return _joined(
        select(
            ApplicationRow, TemplateRow.name, _VERSION.version, EnvironmentRow.name, ConfigRow.name
        ),
        *where,
    )


def _joined(query: Select[*Ts], *where: ColumnElement[bool]) -> Select[*Ts]:
    """``query`` over the live apps joined to the names they point at, by app name."""
    version = _VERSION
    return (
        query.join(version, version.id == ApplicationRow.template_version_id)
        .join(TemplateRow, TemplateRow.id == version.template_id)
        .join(EnvironmentRow, EnvironmentRow.id == ApplicationRow.environment_id)
        .join(ConfigRow, ConfigRow.id == ApplicationRow.config_id)
        .where(LIVE_APP, *where)
        .order_by(ApplicationRow.name)
    )


# The reads the API serves most (one app, a page of apps) select columns, not ORM rows, and
# their statements are built once per shape with the values bound at execution: building
# the select and its cache key took about 1.2 ms of Python per request, and loading the rows
# through the ORM session 0.5 ms more, for a query SQLite answers in 0.03 ms.
_APP_COLUMNS = (
    ApplicationRow.name,
    ApplicationRow.config_version,
    ApplicationRow.created_at,
    ApplicationRow.updated_at,
    TemplateRow.name,
    _VERSION.version,
    EnvironmentRow.name,
    ConfigRow.name,
)
_VALUE_COLUMNS = ("key", "secret", "value_json", "ciphertext")  # what codec.decode_columns reads


def _application(row: Sequence[Any]) -> Application:
    """The application of a row starting with ``_APP_COLUMNS``."""
    name, config_version, created_at, updated_at, template, version, environment, config = row[
        : len(_APP_COLUMNS)
    ]
    return Application(
        name=name,
        template=template,
        template_version=version,
        environment=environment,
        config=config,
        config_version=config_version,
        created_at=created_at,
        updated_at=updated_at,
    )


@functools.cache
def _one_statement() -> Select[*tuple[Any, ...]]:
    """The live app named by the bound ``app_name``, as ``_APP_COLUMNS``."""
    return _joined(select(*_APP_COLUMNS), ApplicationRow.name == bindparam("app_name"))


@functools.lru_cache(maxsize=16)
def _view_statement(keys: tuple[str, ...]) -> Select[*tuple[Any, ...]]:
    """``application_view``'s query: the app named by the bound ``app_name``, ``keys`` of its
    config version, and its template version's digest last."""
    query = _joined(select(*_APP_COLUMNS), ApplicationRow.name == bindparam("app_name"))
    return _with_keys(query, keys).add_columns(_VERSION.digest)


@functools.lru_cache(maxsize=16)
def _page_statement(
    keys: tuple[str, ...], environments: bool, search: bool
) -> Select[*tuple[Any, ...]]:
    """``page_application_views``' query, the window count last; bound: ``limit``,
    ``offset``, and ``environments`` (a list) and ``search`` (a LIKE pattern) if filtered."""
    where: list[ColumnElement[bool]] = []
    if environments:
        where.append(EnvironmentRow.name.in_(bindparam("environments", expanding=True)))
    if search:
        pattern = bindparam("search", type_=String)
        where.append(or_(*(func.lower(c).like(pattern, escape="/") for c in _SEARCHED)))
    # The page's applications are picked first, with the window count, on the joined names
    # alone; their config versions and keys are then joined for those rows only. Counted
    # over the whole query, SQLite built every application's row (the version subquery, the
    # keys' joins: 7 ms of a 1,000-app store) before the LIMIT kept 50 of them.
    page = (
        _joined(select(ApplicationRow.id, func.count().over().label("total")), *where)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )
    query = _joined(select(*_APP_COLUMNS)).join(page, page.c.id == ApplicationRow.id)
    return _with_keys(query, keys).add_columns(page.c.total)


def _contains_pattern(search: str) -> str:
    """The LIKE pattern (escape character '/') of ``_filters``' search: its text anywhere,
    '%' and '_' plain characters (as ``contains(..., autoescape=True)`` makes them)."""
    text = search.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{text}%"


def _with_keys(query: Select[*Ts], keys: Collection[str]) -> Select[*tuple[Any, ...]]:
    """``query`` with the app's config version number and ``_VALUE_COLUMNS`` per key (in
    name order; None where the version has no such key)."""
    extended: Select[*tuple[Any, ...]] = query.add_columns(_USED).outerjoin(
        _USED_VERSION,
        and_(_USED_VERSION.config_id == ApplicationRow.config_id, _USED_VERSION.version == _USED),
    )
    for key in sorted(set(keys)):
        value = _value_alias(key)
        columns = (getattr(value, column) for column in _VALUE_COLUMNS)
        extended = extended.add_columns(*columns).outerjoin(
            value, and_(value.config_version_id == _USED_VERSION.id, value.key == key)
        )
    return extended


# Built once, like _VERSION: the version an app uses (pinned, else the config's latest)...
_USED: ColumnElement[int] = func.coalesce(
    ApplicationRow.config_version,
    select(func.max(ConfigVersionRow.version))
    .where(ConfigVersionRow.config_id == ApplicationRow.config_id)
    .correlate(ApplicationRow)
    .scalar_subquery(),
)
_USED_VERSION = aliased(ConfigVersionRow)
# ...and one alias of the value rows per key asked (a handful of keys: the API's).
_VALUE_ALIASES: dict[str, type[ConfigValueRow]] = {}
_MAX_VALUE_ALIASES = 64


def _value_alias(key: str) -> type[ConfigValueRow]:
    found = _VALUE_ALIASES.get(key)
    if found is None:
        found = aliased(ConfigValueRow)
        if len(_VALUE_ALIASES) < _MAX_VALUE_ALIASES:
            _VALUE_ALIASES[key] = found
    return found


def _filters(environments: Collection[str] | None, search: str | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if environments is not None:
        where.append(EnvironmentRow.name.in_(sorted(environments)))
    if search:
        # Names are lower-case ASCII (check_name), so lower() means the same on every backend;
        # autoescape makes '%' and '_' in the search plain characters.
        text = search.lower()
        where.append(or_(*(func.lower(c).contains(text, autoescape=True) for c in _SEARCHED)))
    return where


_SEARCHED = (ApplicationRow.name, TemplateRow.name, EnvironmentRow.name, ConfigRow.name)


def _record(
    row: ApplicationRow, template: str, template_version: int, environment: str, config: str
) -> Application:
    return Application(
        name=row.name,
        template=template,
        template_version=template_version,
        environment=environment,
        config=config,
        config_version=row.config_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
