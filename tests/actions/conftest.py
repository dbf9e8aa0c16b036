"""A fresh SQLite store per test, with a secret key, for calling actions directly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan.store import Store
from kapstan.store.crypto import KEY_VARIABLE, generate_key
from tests.sqlitestores import migrated_sqlite

BOOKSTORE = Path(__file__).parent.parent / "cli" / "fixtures" / "bookstore"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{migrated_sqlite(tmp_path / 'k.db')}"
    with Store.open(url, environ={KEY_VARIABLE: generate_key()}) as s:
        yield s
