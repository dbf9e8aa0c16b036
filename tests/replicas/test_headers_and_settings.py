"""In process: security headers on every response; the reaper's settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kapstan.actions.journal import LEASE_SECONDS
from kapstan.api.app import create_app
from kapstan.api.headers import DATA_POLICY
from kapstan.api.reaper import DEFAULT_INTERVAL, ReaperSettings
from kapstan.errors import InputError
from kapstan.store.crypto import generate_key

SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    environ = {
        "KAPSTAN_SECRET_KEY": generate_key(),
        "KAPSTAN_LOCK_LEASE": "7",
        "KAPSTAN_REAPER_INTERVAL": "0",
    }
    return TestClient(create_app(str(tmp_path / "kapstan.db"), environ=environ))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/api/v1/applications", 401),
        ("GET", "/api/v1/no-such-route", 404),
        ("POST", "/api/v1/applications/x/deploy", 401),
    ],
)
def test_every_json_response_has_the_security_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    with client:
        response = client.request(method, path)
    assert response.status_code == status
    assert {k: response.headers.get(k) for k in SECURITY} == SECURITY
    assert response.headers["content-security-policy"] == DATA_POLICY


def test_the_lease_setting_reaches_the_runner(client: TestClient) -> None:
    with client:
        state = client.app.state.kapstan  # type: ignore[attr-defined]
        assert state.runner.lease == 7.0


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ReaperSettings(LEASE_SECONDS, DEFAULT_INTERVAL)),
        ({"KAPSTAN_LOCK_LEASE": "2.5", "KAPSTAN_REAPER_INTERVAL": "0.5"}, ReaperSettings(2.5, 0.5)),
        ({"KAPSTAN_REAPER_INTERVAL": "0"}, ReaperSettings(LEASE_SECONDS, 0.0)),
        ({"KAPSTAN_LOCK_LEASE": " "}, ReaperSettings(LEASE_SECONDS, DEFAULT_INTERVAL)),
    ],
)
def test_settings_from_the_environment(environ: dict[str, str], expected: ReaperSettings) -> None:
    assert ReaperSettings.from_environ(environ) == expected


@pytest.mark.parametrize(
    "environ",
    [
        {"KAPSTAN_LOCK_LEASE": "0"},
        {"KAPSTAN_LOCK_LEASE": "soon"},
        {"KAPSTAN_LOCK_LEASE": "inf"},
        {"KAPSTAN_REAPER_INTERVAL": "-1"},
        {"KAPSTAN_REAPER_INTERVAL": "nan"},
    ],
)
def test_bad_settings_say_which_variable(environ: dict[str, str]) -> None:
    with pytest.raises(InputError, match=next(iter(environ))):
        ReaperSettings.from_environ(environ)
