"""Bring a database to the newest schema with Alembic, from the scripts in this package.

On PostgreSQL a transaction-level advisory lock makes replicas that start together
migrate one after the other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from kapstan.errors import StoreError
from kapstan.store.database import Database

SCRIPTS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x6B617073  # "kaps"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    return config


def upgrade(database: Database) -> None:
    """Migrate to ``head``; a no-op when the schema is current."""
    config = alembic_config()
    try:
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
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                    if sqlite:
                        _check_references(connection)
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
