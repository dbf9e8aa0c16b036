"""The audit log: appended, filtered, paged, exported; never changed, even by raw SQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kapstan.errors import InputError
from kapstan.model.values import REDACTED, SecretValue
from kapstan.store import AuditEntry, Store
from tests.store.conftest import raw


def fill(store: Store) -> list[AuditEntry]:
    """Six entries by ana and bob on two apps and a config."""
    return [
        store.audit("ana", "deploy", kind="application", name="shop", environment="dev"),
        store.audit("bob", "deploy", kind="application", name="blog", environment="dev"),
        store.audit(
            "ana",
            "config.edit",
            kind="config",
            name="dev",
            from_version="1",
            to_version="2",
            details={"changed": ["replicas"], "db.password": REDACTED},
        ),
        store.audit("bob", "rollback", kind="application", name="shop", environment="prod"),
        store.audit("ana", "promote", kind="application", name="shop", environment="prod"),
        store.audit("bob", "delete", kind="application", name="blog", environment="dev"),
    ]


def test_an_entry_keeps_its_fields(store: Store) -> None:
    entry = store.audit(
        "ana",
        "deploy",
        kind="application",
        name="shop",
        environment="prod",
        from_version="3",
        to_version="4",
        details={"services": ("api", "db"), "wave": 2, "nested": {"ok": True, "x": None}},
    )
    assert (entry.actor, entry.action, entry.kind, entry.name, entry.environment) == (
        "ana",
        "deploy",
        "application",
        "shop",
        "prod",
    )
    assert (entry.from_version, entry.to_version) == ("3", "4")
    assert entry.details == {
        "services": ["api", "db"],
        "wave": 2,
        "nested": {"ok": True, "x": None},
    }
    assert entry.at.tzinfo is not None
    assert store.list_audit() == [entry]
    assert store.audit("ana", "view", kind="application", name="shop").details == {}


def test_list_newest_first_with_filters_and_pages(store: Store) -> None:
    entries = fill(store)
    newest_first = entries[::-1]
    assert store.list_audit() == newest_first
    assert store.list_audit(limit=2) == newest_first[:2]
    assert store.list_audit(limit=2, offset=2) == newest_first[2:4]
    assert store.list_audit(offset=6) == []
    assert [e.id for e in store.list_audit(actor="ana")] == [entries[i].id for i in (4, 2, 0)]
    assert store.list_audit(kind="config") == [entries[2]]
    assert store.list_audit(kind="application", name="shop", actor="bob") == [entries[3]]
    assert store.list_audit(environment="prod") == [entries[4], entries[3]]
    assert store.list_audit(since=entries[3].at) == newest_first[:3]
    assert store.list_audit(since=entries[-1].at + timedelta(seconds=1)) == []
    assert store.list_audit(actor="nobody") == []


def test_export_oldest_first_in_pages(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = fill(store)
    monkeypatch.setattr("kapstan.store.audit.EXPORT_PAGE", 4)
    assert list(store.export_audit()) == entries
    assert list(store.export_audit(since=entries[2].at)) == entries[2:]
    monkeypatch.setattr("kapstan.store.audit.EXPORT_PAGE", 3)
    assert list(store.export_audit()) == entries


@pytest.mark.parametrize(
    "details",
    [
        {"password": SecretValue("hunter2hunter2")},
        {"values": {"db": {"password": SecretValue("hunter2hunter2")}}},
        {"values": ["a", SecretValue("hunter2hunter2")]},
    ],
    ids=["top", "nested", "in-a-list"],
)
def test_a_secret_value_in_details_is_refused(store: Store, details: dict[str, object]) -> None:
    with pytest.raises(InputError, match="is a secret value; pass redacted data") as caught:
        store.audit("ana", "config.edit", kind="config", name="dev", details=details)
    assert "hunter2" not in str(caught.value)
    assert store.list_audit() == []
    assert raw(store, "SELECT COUNT(*) FROM audit_log") == [(0,)]


def test_bad_entries_are_refused(store: Store) -> None:
    with pytest.raises(InputError, match="non-empty actor"):
        store.audit("", "deploy", kind="application", name="shop")
    with pytest.raises(InputError, match="non-empty action"):
        store.audit("ana", " ", kind="application", name="shop")
    with pytest.raises(InputError, match=r"'s': at\[1\] is a datetime; use strings"):
        store.audit("ana", "deploy", kind="app", name="s", details={"at": [1, datetime.now()]})
    with pytest.raises(InputError, match="limit must be an integer of at least 1"):
        store.list_audit(limit=0)
    with pytest.raises(InputError, match="offset must be an integer of at least 0"):
        store.list_audit(offset=-1)
    with pytest.raises(InputError, match="at most 1000"):
        store.list_audit(limit=1001)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'mallory'",
        "UPDATE audit_log SET details = '{}' WHERE actor = 'ana'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = 1",
    ],
)
def test_raw_sql_cannot_change_the_log(store: Store, statement: str) -> None:
    entries = fill(store)
    with pytest.raises(DBAPIError, match="audit_log is append-only"), store._db.writing() as s:
        s.execute(text(statement))
    assert list(store.export_audit()) == entries


def test_emptying_the_log_at_once_is_refused(store: Store) -> None:
    # PostgreSQL's TRUNCATE fires no row trigger: a statement trigger refuses it. SQLite
    # has no TRUNCATE, and its fast "DELETE FROM t" is off on a table with triggers.
    postgres = store._db.engine.dialect.name == "postgresql"
    statement, verb = (
        ("TRUNCATE audit_log", "TRUNCATE") if postgres else ("DELETE FROM audit_log", "DELETE")
    )
    entries = fill(store)
    with pytest.raises(DBAPIError, match=f"append-only: {verb}"), store._db.writing() as s:
        s.execute(text(statement))
    assert list(store.export_audit()) == entries


def test_the_store_has_no_method_to_change_the_log(store: Store) -> None:
    verbs = ("update", "delete", "remove", "edit", "purge", "clear", "truncate")
    audit_methods = [name for name in dir(store) if "audit" in name]
    assert sorted(audit_methods) == ["audit", "export_audit", "list_audit"]
    assert not [name for name in audit_methods if name.startswith(verbs)]
