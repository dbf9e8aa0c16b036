"""Market fixtures: registrations and clones under tmp_path, a fresh store with a secret key."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan.market.registry import MarketPaths
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.sqlitestores import migrated_sqlite

EXTRA_KAPSTAN_YAML = """\
name: hello
services:
  hello:
    manifests: [hello.yaml]
"""

EXTRA_MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: hello}
spec:
  replicas: ${hello.replicas:-1}
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      containers:
        - name: hello
          image: "hello:${hello.image.tag:-1.0}"
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {cpu: 100m, memory: 32Mi}
"""


@pytest.fixture
def market_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MarketPaths:
    """Registrations in tmp_path, through the environment as the CLI reads them."""
    registry = tmp_path / "config" / "markets.json"
    cache = tmp_path / "cache"
    monkeypatch.setenv("KAPSTAN_MARKETS_FILE", str(registry))
    monkeypatch.setenv("KAPSTAN_CACHE_DIR", str(cache))
    return MarketPaths(registry, cache / "markets")


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = generate_key()
    monkeypatch.setenv("KAPSTAN_SECRET_KEY", key)
    monkeypatch.delenv("KAPSTAN_SECRET_KEY_FILE", raising=False)
    return key


@pytest.fixture
def store(tmp_path: Path, secret_key: str) -> Iterator[Store]:
    with Store.open(str(migrated_sqlite(tmp_path / "kapstan.db"))) as opened:
        yield opened


def write_catalog(root: Path, *, index: str | None = None) -> Path:
    """A catalog with one template, ``hello``, documented by its README's first line."""
    folder = root / "hello"
    folder.mkdir(parents=True)
    (folder / "kapstan.yaml").write_text(EXTRA_KAPSTAN_YAML)
    (folder / "hello.yaml").write_text(EXTRA_MANIFEST)
    (folder / "README.md").write_text("# Hello: the smallest template\n\nKeys: hello.replicas\n")
    if index is not None:
        (root / "market.yaml").write_text(index)
    return root


def git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def bare_repository(tmp_path: Path) -> Path:
    """A bare git repository holding the hello catalog, made with the git binary."""
    work = write_catalog(tmp_path / "work")
    git("init", "--quiet", "--initial-branch=main", cwd=work)
    git("add", ".", cwd=work)
    git("commit", "--quiet", "-m", "catalog", cwd=work)
    bare = tmp_path / "catalog.git"
    git("clone", "--quiet", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare
