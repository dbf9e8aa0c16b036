"""Secret values at rest: encrypted in the database, and clear errors about the key."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import create_engine, text

from kapstan.errors import SecretKeyError
from kapstan.model.values import SecretValue
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.store.conftest import OpenStore

PLAIN = "correct-horse-battery-staple"
HOW_TO = (
    "set KAPSTAN_SECRET_KEY to a key made by `kapstan secret-key generate` "
    "or KAPSTAN_SECRET_KEY_FILE to a file holding one"
)


def raw_rows(db_url: str) -> str:
    """Every row of every table, read with plain SQL, as one text."""
    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = ["templates", "template_versions", "configs", "config_versions"]
            tables += ["config_values", "environments", "applications", "revisions"]
            rows = [connection.execute(text(f"SELECT * FROM {t}")).all() for t in tables]
    finally:
        engine.dispose()
    return repr(rows)


def raw_bytes(db_url: str) -> bytes:
    """The SQLite files as they lie on disk (database, WAL, shared memory)."""
    files = [Path(db_url), Path(db_url + "-wal"), Path(db_url + "-shm")]
    return b"".join(path.read_bytes() for path in files if path.exists())


def test_secret_plaintext_is_never_in_the_database(store: Store, db_url: str) -> None:
    store.create_config("dev", {"password": SecretValue(PLAIN), "user": "app"}, author="ana")
    store.add_config_version("dev", {"password": SecretValue(PLAIN), "n": 2}, author="ana")
    store.create_environment("dev", kubeconfig="/k", context=None, namespace="ns", config="dev")
    store.clone_environment("dev", "prod", author="ana")
    assert store.get_config("prod").values["password"] == SecretValue(PLAIN)
    rows = raw_rows(db_url)
    assert PLAIN not in rows
    assert "'user'" in rows and '"app"' in rows  # plain values are there, as JSON
    if "://" not in db_url:
        store.close()
        data = raw_bytes(db_url)
        assert b'"app"' in data
        assert PLAIN.encode() not in data


def test_reading_a_secret_without_a_key_says_how_to_set_one(
    store: Store, open_store: OpenStore
) -> None:
    store.create_config("dev", {"password": SecretValue(PLAIN)}, author="ana")
    store.create_config("plain", {"user": "app"}, author="ana")
    keyless = open_store({})
    assert keyless.get_config("plain").values == {"user": "app"}
    sealed = keyless.get_config("dev")  # a read that shows no secret needs no key...
    assert str(sealed.values["password"]) == "<redacted>"
    with pytest.raises(SecretKeyError) as caught:  # ...revealing one does
        cast(SecretValue, sealed.values["password"]).reveal()
    assert str(caught.value) == f"secret values need a key: {HOW_TO}"


def test_writing_a_secret_without_a_key_fails_and_writes_nothing(open_store: OpenStore) -> None:
    keyless = open_store({})
    with pytest.raises(SecretKeyError, match="KAPSTAN_SECRET_KEY"):
        keyless.create_config("dev", {"password": SecretValue(PLAIN)}, author="ana")
    assert keyless.list_configs() == []


def test_a_wrong_key_is_an_error_that_shows_no_secret(store: Store, open_store: OpenStore) -> None:
    store.create_config("dev", {"password": SecretValue(PLAIN)}, author="ana")
    other = open_store({"KAPSTAN_SECRET_KEY": generate_key()})
    with pytest.raises(SecretKeyError) as caught:
        cast(SecretValue, other.get_config("dev").values["password"]).reveal()
    message = str(caught.value)
    assert message.startswith("cannot decrypt secret 'password' of config 'dev' version 1")
    assert "another key" in message
    assert PLAIN not in message
    assert "gAAAA" not in message  # no Fernet token either


def test_a_rotated_key_list_still_reads_old_secrets(
    store: Store, open_store: OpenStore, secret_key: str
) -> None:
    store.create_config("dev", {"password": SecretValue(PLAIN)}, author="ana")
    rotated = open_store({"KAPSTAN_SECRET_KEY": f"{generate_key()},{secret_key}"})
    assert rotated.get_config("dev").values["password"] == SecretValue(PLAIN)
