"""Bring a database to the newest schema with Alembic, from the scripts in this package.

On PostgreSQL a transaction-level advisory lock makes replicas that start together
migrate one after the other. A database already at the newest schema is recognised by
its version row alone, without loading Alembic's environment: every CLI command opens
the store, and that check used to cost more than the command itself.

Running the migrations on an empty SQLite file takes a second of CPU (the batch steps
recreate tables); a process that creates many stores (the test suite, tooling) pays it
once: the first empty database it migrates leaves the resulting schema (SQLite's own
CREATE statements, read back from ``sqlite_master``) as an image that later empty
databases are given in one transaction. Same SQLite library, same statements, same
schema: a test compares the two.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from kapstan.errors import StoreError
from kapstan.store.database import Database

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPTS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x6B617073  # "kaps"


def alembic_config() -> Config:
    # Alembic (and Mako under it) is imported only when a migration runs: it weighs more
    # than a whole CLI command on a current store.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    return config


@dataclass(frozen=True)
class SchemaImage:
    """An empty SQLite database's schema after the migrations: statements and version."""

    statements: tuple[str, ...]
    version: str


_image: list[SchemaImage] = []  # at most one, for the lifetime of the process


def forget_schema_image() -> None:
    """Make the next empty SQLite database run the migrations again (tests compare both)."""
    _image.clear()


@functools.cache
def head() -> str:
    """The newest revision of the scripts in this package."""
    from alembic.script import ScriptDirectory

    current = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if current is None:
        raise StoreError(f"no migration scripts in {SCRIPTS}")
    return current


# `revision = "0006"` / `down_revision = "0005"` (or None), optionally annotated.
_REVISION = re.compile(r'^(down_)?revision\b[^=\n]*=\s*(?:"([^"\n]*)"|None)\s*$', re.MULTILINE)


@functools.cache
def scripts_head() -> str | None:
    """``head()`` read from the scripts' text without Alembic; None when not certain.

    Certain: every script names one revision and one parent, and one revision is no
    one's parent. Anything else (a merge, an unusual script) is left to Alembic.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    scripts = [p for p in (SCRIPTS / "versions").glob("*.py") if p.name != "__init__.py"]
    for script in scripts:
        found = _REVISION.findall(script.read_text(encoding="utf-8"))
        names = [value for down, value in found if not down]
        downs = [value for down, value in found if down]
        if len(names) != 1 or len(downs) != 1 or not names[0]:
            return None
        revisions.add(names[0])
        parents.update(d for d in downs if d)
    heads = revisions - parents
    return heads.pop() if len(revisions) == len(scripts) and len(heads) == 1 else None


def upgrade(database: Database) -> None:
    """Migrate to ``head``; a no-op when the schema is current."""
    try:
        current = _version(database)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the store at {database.describe()}: {exc}") from exc
    if current is not None and current == scripts_head():
        return  # the store every command opens: current, known without Alembic
    _migrate(database, current)


def _migrate(database: Database, current: str | None) -> None:
    from alembic import command
    from alembic.util import CommandError

    config = alembic_config()
    try:
        if current == head():
            return
        with database.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # SQLite changes a constraint by recreating the table while other tables
                # point at it; the pragma works only outside a transaction, so it is set
                # here, and the references are checked before the migration commits.
                _pragma(connection, "foreign_keys=OFF")
            try:
                with connection.execution_options(kapstan_write=True).begin():
                    if connection.dialect.name == "postgresql":
                        connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
                    empty = sqlite and _sqlite_empty(connection)
                    if empty and _image:
                        _replay(connection, _image[0])
                    else:
                        config.attributes["connection"] = connection
                        command.upgrade(config, "head")
                    if sqlite:
                        _check_references(connection)
                    if empty and not _image:
                        _image.append(_snapshot(connection))
            finally:
                if sqlite:
                    _pragma(connection, "foreign_keys=ON")
    except CommandError as exc:
        raise StoreError(
            f"cannot migrate the store at {database.describe()}: {exc} "
            "(was it written by a newer Kapstan? upgrade Kapstan)"
        ) from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the store at {database.describe()}: {exc}") from exc


def _pragma(connection: Connection, pragma: str) -> None:
    connection.connection.driver_connection.execute(f"PRAGMA {pragma}")  # type: ignore[union-attr]


def _check_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise StoreError(f"the migration left broken references: {broken[:5]}")


def _version(database: Database) -> str | None:
    """The schema's revision, None when the database has none (empty, or not Kapstan's)."""
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def _sqlite_empty(connection: Connection) -> bool:
    return not connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()


def _snapshot(connection: Connection) -> SchemaImage:
    # Tables before the indexes and triggers on them; SQLite's own tables (sqlite_sequence)
    # come back by themselves when a table that needs them is created.
    rows = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
        "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, rowid"
    ).all()
    version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    return SchemaImage(tuple(str(r[0]) for r in rows), str(version))


def _replay(connection: Connection, image: SchemaImage) -> None:
    for statement in image.statements:
        connection.exec_driver_sql(statement)
    connection.execute(
        text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": image.version}
    )
