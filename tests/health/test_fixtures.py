"""Every captured object gives the expected status and a message containing the expected text."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.health import HealthOptions, HealthStatus, health_of
from tests.health.fixture_files import explain_fixtures, health_fixtures, load


@pytest.mark.parametrize("path", health_fixtures(), ids=lambda p: p.stem)
def test_health_of_fixture(path: Path) -> None:
    fixture = load(path)
    options = HealthOptions(**fixture.get("options", {}))

    health = health_of(fixture["object"], options)

    assert health.status is HealthStatus(fixture["expect"]["status"]), health.message
    assert fixture["expect"]["message"] in health.message


def test_fixtures_cover_every_status_a_kind_reports() -> None:
    seen = {load(p)["expect"]["status"] for p in health_fixtures()}
    assert seen == {"healthy", "progressing", "failed"}


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value))
    return set()


@pytest.mark.parametrize(
    "path", health_fixtures() + explain_fixtures(), ids=lambda p: f"{p.parent.name}/{p.stem}"
)
def test_fixture_carries_no_managed_fields_or_uids(path: Path) -> None:
    assert not _keys(load(path)) & {"managedFields", "uid", "resourceVersion"}
