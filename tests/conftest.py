"""Fixtures shared by every test directory.

``sandbox_cluster`` gives cluster tests one live sandbox for the whole session; tests that
use it carry the ``cluster`` marker, so ``pytest -m "not cluster"`` runs the fast suite alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from kapstan import sandbox

# Property tests without their own budget get a small one (hypothesis' default is 100): the
# whole suite's time is a constraint. No deadline: a loaded CI machine is not a failure.
settings.register_profile("kapstan", max_examples=50, deadline=None)
settings.load_profile("kapstan")


@pytest.fixture(scope="session")
def sandbox_cluster() -> Iterator[sandbox.SandboxState]:
    name = f"pytest-{os.getpid()}"
    # metrics-server too: tests of `kubectl top`/HPAs need it, and it costs less than a
    # second sandbox for them would (bench/bench_sandbox.py prints both start-ups).
    state = sandbox.up(name, nodes=3, progress=lambda _msg: None, metrics=True)
    try:
        yield state
    finally:
        sandbox.down(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that asks for the live cluster is a cluster test, whether or not it says so.
    for item in items:
        if "sandbox_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cluster)
