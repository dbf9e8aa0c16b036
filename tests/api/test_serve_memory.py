"""A server process settles its memory once its app has started (issue 15, Server): what it
built to start is frozen out of the collector's sight and young collections run less often,
so collections under load are fewer and shorter. A test process builds apps again and
again, so only the server's own app (``app_from_environ``) does it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kapstan.api import serve
from kapstan.api.app import create_app


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as it was, whatever the test did to it."""
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_a_server_app_settles_its_memory_when_started(tmp_path: Path, collector: None) -> None:
    environ = serve.worker_environ(f"sqlite:///{tmp_path / 'kapstan.db'}", "")
    app = serve.app_from_environ(environ)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 0  # frozen at start-up, before any request
        assert gc.get_threshold()[0] == serve.YOUNG_COLLECTION_THRESHOLD
        assert client.get("/healthz").json() == {"status": "ok"}


def test_an_app_built_elsewhere_leaves_the_collector_alone(tmp_path: Path, collector: None) -> None:
    gc.unfreeze()
    threshold = gc.get_threshold()
    with TestClient(create_app(f"sqlite:///{tmp_path / 'kapstan.db'}")) as client:
        assert client.get("/healthz").status_code == 200
    assert (gc.get_freeze_count(), gc.get_threshold()) == (0, threshold)
