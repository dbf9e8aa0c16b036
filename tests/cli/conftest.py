"""Helpers for driving ``kapstan`` in process: a fresh SQLite store and key per test."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapstan.cli.main import main
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.sqlitestores import migrated_sqlite

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{migrated_sqlite(tmp_path / 'kapstan.db')}"
    monkeypatch.setenv("KAPSTAN_DB", url)
    monkeypatch.setenv("KAPSTAN_SECRET_KEY", generate_key())
    monkeypatch.setenv("KAPSTAN_USER", "tester")
    monkeypatch.delenv("KAPSTAN_SECRET_KEY_FILE", raising=False)
    return url


@pytest.fixture
def kapstan(db_url: str, capsys: pytest.CaptureFixture[str]) -> Run:
    """``kapstan("config", "list")`` -> Result(exit code, stdout, stderr)."""

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def store(db_url: str) -> Iterator[Callable[[], Store]]:
    """Open the test's store to look at what was written (closed at teardown)."""
    opened: list[Store] = []

    def open_store() -> Store:
        opened.append(Store.open(db_url))
        return opened[-1]

    yield open_store
    for s in opened:
        s.close()


@pytest.fixture
def bookstore(tmp_path: Path) -> Path:
    """A writable copy of the bookstore template."""
    target = tmp_path / "bookstore"
    shutil.copytree(FIXTURES / "bookstore", target)
    return target


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Path:
    path = tmp_path / "kubeconfig"
    # Loads, names no context: env create accepts it, every cluster call fails at once.
    path.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    return path


@pytest.fixture
def shop(kapstan: Run, bookstore: Path, kubeconfig: Path) -> Run:
    """Template bookstore@1, config dev (web.host set), env dev, app shop."""
    steps = [
        ("template", "import", bookstore),
        ("config", "set", "dev", "web.host=shop.example.com", "catalog.replicas=1"),
        ("config", "set", "dev", "--secret", "db.password=s3cret-pw"),
        (
            "env",
            "create",
            "dev",
            "--kubeconfig",
            kubeconfig,
            "--namespace",
            "shop",
            "--config",
            "dev",
        ),
        ("app", "create", "shop", "--template", "bookstore", "--env", "dev"),
    ]
    for step in steps:
        result = kapstan(*step)
        assert result.code == 0, (step, result.err)
    return kapstan
