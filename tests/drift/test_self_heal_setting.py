"""Self-heal is an environment setting: set through the API (admins) and the CLI, audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kapstan.cli.main import main
from tests.api.conftest import Api, api

__all__ = ["api"]  # the API test world's fixture


def test_self_heal_is_set_by_api_and_cli_and_audited(
    api: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        api.put("/api/v1/environments/dev/self-heal", {"enabled": True}, user="dana").status_code
        == 403
    )
    turned = api.put("/api/v1/environments/dev/self-heal", {"enabled": True})
    assert turned.status_code == 200 and turned.json()["selfHeal"] is True
    assert api.get("/api/v1/environments/dev").json()["selfHeal"] is True
    capsys.readouterr()
    code = main(
        [
            "--db",
            f"sqlite:///{tmp_path / 'kapstan.db'}",
            "env",
            "update",
            "dev",
            "--no-self-heal",
            "-o",
            "json",
        ]
    )
    assert code == 0 and json.loads(capsys.readouterr().out)["selfHeal"] is False
    assert main(["--db", f"sqlite:///{tmp_path / 'kapstan.db'}", "env", "update", "dev"]) == 1
    entries = [e for e in api.store.list_audit() if e.action == "environment.self-heal"]
    assert [(e.details["selfHeal"], e.details["via"]) for e in entries] == [
        (False, "cli"),
        (True, "api"),
    ]
