"""``kapstan user create|token|grant`` and ``kapstan server``'s wiring (registered as main
will register them: ``server_cmd.register(app)``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kapstan.cli import server_cmd
from kapstan.cli.common import Settings
from kapstan.store import Store
from kapstan.store.crypto import generate_key


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[typer.Typer, str]:
    url = str(tmp_path / "k.db")
    monkeypatch.setenv("KAPSTAN_SECRET_KEY", generate_key())
    monkeypatch.setenv("KAPSTAN_USER", "ops")
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = Settings(db=url)

    server_cmd.register(app)
    return app, url


def test_user_create_token_grant(cli: tuple[typer.Typer, str]) -> None:
    app, url = cli
    runner = CliRunner()
    made = runner.invoke(
        app,
        ["user", "create", "ana", "--admin", "--password-stdin"],
        input="a-long-enough-password\n",
    )
    assert made.exit_code == 0, made.output
    assert "user ana created (administrator)" in made.output
    token = runner.invoke(app, ["user", "token", "ana", "-d", "laptop"])
    assert token.exit_code == 0 and token.output.startswith("kst_")
    with Store.open(url) as store:
        store.create_environment("dev", kubeconfig="/k", context=None, namespace="a", config=None)
    granted = runner.invoke(app, ["user", "grant", "ana", "dev", "viewer"])
    assert granted.exit_code == 0 and "ana is viewer in environment dev" in granted.output
    with Store.open(url) as store:
        assert store.authenticate_token(token.output.strip()).name == "ana"
        assert store.verify_password("ana", "a-long-enough-password").admin
        actions = [e.action for e in store.list_audit()]
        assert actions == ["role.grant", "token.create", "user.create"]
        assert {e.actor for e in store.list_audit()} == {"ops"}


def test_user_create_without_a_terminal_needs_a_password_source(
    cli: tuple[typer.Typer, str],
) -> None:
    app, _ = cli
    result = CliRunner().invoke(app, ["user", "create", "bob"])
    assert result.exit_code != 0
    assert "--password-stdin" in str(result.exception)
    token_only = CliRunner().invoke(app, ["user", "create", "bot", "--no-password"])
    assert token_only.exit_code == 0


def test_server_command_is_registered(cli: tuple[typer.Typer, str]) -> None:
    app, _ = cli
    result = CliRunner().invoke(app, ["server", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--db"):
        assert option in result.output
