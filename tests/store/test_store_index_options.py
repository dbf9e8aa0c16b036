"""The live-name indexes take their dialect options late, and end up as plain indexes would.

``kapstan.store.tables.DeferredOptionsIndex`` keeps SQLAlchemy from importing the PostgreSQL
dialect for a SQLite store; its DDL and its option listings must not change for it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Index, text
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.exc import ArgumentError
from sqlalchemy.schema import CreateIndex

from kapstan.store.tables import Base, DeferredOptionsIndex
from tests.sqlitestores import migrated_sqlite

LIVE_NAME_TABLES = {"templates", "configs", "clusters", "environments", "applications"}


def _deferred() -> list[DeferredOptionsIndex]:
    return [
        index
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if isinstance(index, DeferredOptionsIndex)
    ]


def _shown(options: object) -> dict[str, str]:
    assert hasattr(options, "items")
    return {key: str(value) for key, value in options.items()}


def test_each_live_name_index_is_partial_on_both_databases() -> None:
    indexes = _deferred()
    assert {i.table.name for i in indexes if i.table is not None} == LIVE_NAME_TABLES
    for index in indexes:
        for dialect in (SQLiteDialect(), PGDialect()):  # type: ignore[no-untyped-call]
            ddl = str(CreateIndex(index).compile(dialect=dialect)).strip()
            assert ddl.startswith("CREATE UNIQUE INDEX uq_"), ddl
            assert ddl.endswith("(name) WHERE deleted_at IS NULL"), ddl


def test_its_options_are_those_of_a_plain_index() -> None:
    live = text("deleted_at IS NULL")
    plain = Index("uq_t_live_name", "name", unique=True, sqlite_where=live, postgresql_where=live)
    late = DeferredOptionsIndex(
        "uq_t_live_name", "name", unique=True, sqlite_where=live, postgresql_where=live
    )
    assert _shown(late.kwargs) == _shown(plain.kwargs)  # what copies and Alembic list
    for dialect in ("sqlite", "postgresql"):
        assert _shown(late.dialect_options[dialect]) == _shown(plain.dialect_options[dialect])
    with pytest.raises(ArgumentError, match="postgresql_nowhere"):
        _ = DeferredOptionsIndex("ix", "name", postgresql_nowhere=1).dialect_kwargs


def test_the_store_loads_no_postgresql_dialect_for_sqlite(tmp_path: Path) -> None:
    script = (
        "import sys; from kapstan.store import Store; Store.open(sys.argv[1]).close(); "
        "print('sqlalchemy.dialects.postgresql' in sys.modules)"
    )
    store = migrated_sqlite(tmp_path / "kapstan.db")  # as every store is after its first use
    found = subprocess.run(
        [sys.executable, "-c", script, str(store)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.stdout.strip() == "False"
