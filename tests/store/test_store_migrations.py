"""Opening a store: migrations to head, idempotent reopen, schema = models, URLs, pragmas."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect, text

from kapstan.errors import StoreError
from kapstan.store import Store
from kapstan.store.database import default_path, resolve_url
from kapstan.store.migrate import alembic_config, forget_schema_image, head
from kapstan.store.tables import Base
from tests.store.conftest import OpenStore

# They watch the migrations run, so their PostgreSQL database starts empty.
pytestmark = pytest.mark.empty_database

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@contextmanager
def connect(db_url: str) -> Iterator[Connection]:
    engine = create_engine(resolve_url(db_url, {}))
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def current_revision(db_url: str) -> str | None:
    with connect(db_url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_open_migrates_an_empty_database_to_head(db_url: str, open_store: OpenStore) -> None:
    assert current_revision(db_url) is None
    open_store()
    assert current_revision(db_url) == HEAD
    with connect(db_url) as connection:
        tables = set(inspect(connection).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_reopening_keeps_data_and_changes_nothing(db_url: str, open_store: OpenStore) -> None:
    first = open_store()
    saved = first.create_config("dev", {"a": 1}, author="ana")
    first.close()
    again = open_store()
    assert again.get_config("dev") == saved
    assert current_revision(db_url) == HEAD
    assert open_store().list_configs() == [saved]


def test_the_migrations_build_exactly_the_models(db_url: str, open_store: OpenStore) -> None:
    forget_schema_image()  # the scripts themselves, not an image of an earlier run
    open_store()
    with connect(db_url) as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_and_up_again(db_url: str, open_store: OpenStore) -> None:
    open_store().close()
    config = alembic_config()
    with connect(db_url) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    open_store().create_config("dev", {}, author="ana")
    assert current_revision(db_url) == HEAD


def test_a_schema_from_a_newer_kapstan_is_refused(db_url: str, open_store: OpenStore) -> None:
    open_store().close()
    with connect(db_url) as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(StoreError, match="newer Kapstan"):
        open_store()


def test_an_unreachable_server_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open the store at postgresql"):
        Store.open("postgresql://nobody:hunter2@127.0.0.1:1/none", environ={})


def test_the_password_is_hidden_in_store_errors() -> None:
    with pytest.raises(StoreError) as caught:
        Store.open("postgresql://nobody:hunter2@127.0.0.1:1/none", environ={})
    assert "hunter2" not in str(caught.value)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "deep" / "dir" / "k.db"), environ={})
    with store, store._db.reading() as session:
        pragmas = [
            session.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        ]
    assert pragmas == ["wal", 1, 30000]


def test_where_the_store_lives(tmp_path: Path) -> None:
    assert default_path().name == "kapstan.db"
    assert "kapstan" in str(default_path().parent)
    assert resolve_url(None, {}).database == str(default_path())
    env_path = {"KAPSTAN_DB": str(tmp_path / "env.db")}
    assert resolve_url(None, env_path).database == str(tmp_path / "env.db")
    assert resolve_url("/x/y.db", env_path).database == "/x/y.db"
    env_url = {"KAPSTAN_DB": "postgresql://u@h:5/db"}
    assert resolve_url(None, env_url).drivername == "postgresql+psycopg"
    assert resolve_url("sqlite:///:memory:", {}).get_backend_name() == "sqlite"


def test_kapstan_db_names_the_file_opened(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "from-env.db"
    with Store.open(environ={"KAPSTAN_DB": str(target)}) as store:
        store.create_config("dev", {"a": 1}, author="ana")
    assert target.exists()


def test_an_in_memory_store_works(tmp_path: Path) -> None:
    with Store.open("sqlite://", environ={}) as store:
        store.create_config("dev", {"a": 1}, author="ana")
        assert store.get_config("dev").values == {"a": 1}


def test_an_unsupported_database_url_is_named() -> None:
    with pytest.raises(StoreError, match=r"'foo' databases are not supported"):
        Store.open("foo://x/y")


def _schema(path: Path) -> list[tuple[str, str, str, str]]:
    with connect(str(path)) as connection:
        rows = connection.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def test_an_empty_sqlite_store_gets_the_schema_the_migrations_build(tmp_path: Path) -> None:
    forget_schema_image()
    environ = {"KAPSTAN_SECRET_KEY": "unused"}
    Store.open(str(tmp_path / "migrated.db"), environ=environ).close()  # runs the scripts
    replayed = Store.open(str(tmp_path / "replayed.db"), environ=environ)  # their image
    assert _schema(tmp_path / "replayed.db") == _schema(tmp_path / "migrated.db")
    assert any(kind == "trigger" for kind, *_ in _schema(tmp_path / "replayed.db"))
    assert current_revision(str(tmp_path / "replayed.db")) == HEAD == head()
    # The image carries the triggers too: the audit log stays append-only.
    replayed.audit("ana", "config.set", kind="config", name="dev")
    replayed.close()
    with (
        pytest.raises(Exception, match="append-only"),
        connect(str(tmp_path / "replayed.db")) as connection,
    ):
        connection.exec_driver_sql("UPDATE audit_log SET actor = 'eve'")
