"""Every read command speaks JSON and YAML, every command has --help, exit codes are 0/1/64 (usage)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.main import app as root_app
from kapstan.store.crypto import generate_key
from tests.cli.conftest import FIXTURES, Run

READ_COMMANDS = [
    ("template", "list"),
    ("template", "history", "bookstore"),
    ("template", "show", "bookstore"),
    ("template", "vars", "bookstore@1"),
    ("config", "list"),
    ("config", "get", "dev"),
    ("config", "get", "dev", "web.host"),
    ("config", "history", "dev"),
    ("config", "diff", "dev", "1", "2"),
    ("env", "list"),
    ("env", "show", "dev"),
    ("app", "list"),
    ("app", "show", "shop"),
    ("app", "render", "shop"),
    ("app", "services", "shop"),
    ("app", "graph", "shop"),
    ("app", "changes", "shop"),
    ("app", "history", "shop"),
]


def test_every_read_command_prints_json_and_yaml(shop: Run) -> None:
    for args in READ_COMMANDS:
        as_json = shop(*args, "-o", "json")
        assert as_json.code == 0, (args, as_json.err)
        json.loads(as_json.out)
        as_yaml = shop(*args, "-o", "yaml")
        assert yaml.safe_load(as_yaml.out) == json.loads(as_json.out), args
        table = shop(*args)
        assert table.code == 0 and table.out.strip(), args


def _commands() -> list[tuple[str, ...]]:
    import typer

    group = typer.main.get_command(root_app)
    out: list[tuple[str, ...]] = [()]
    for name, sub in group.commands.items():  # type: ignore[attr-defined]
        out.append((name,))
        out.extend((name, child) for child in getattr(sub, "commands", {}))
    return out


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "kapstan")
def test_help_everywhere(kapstan: Run, command: tuple[str, ...]) -> None:
    result = kapstan(*command, "--help")
    assert result.code == 0
    assert "Usage: kapstan" in result.out


def test_command_list_is_complete() -> None:
    assert set(_commands()) >= {
        ("template", c) for c in ("import", "list", "history", "show", "vars", "export")
    } | {
        ("config", c)
        for c in ("set", "unset", "import", "get", "history", "diff", "rollback", "list")
    } | {("env", c) for c in ("create", "clone", "list", "show")} | {
        ("app", c)
        for c in (
            "create",
            "list",
            "show",
            "render",
            "services",
            "graph",
            "changes",
            "update",
            "history",
            "diff",
        )
    } | {("secret-key", "generate")}


def test_exit_codes(kapstan: Run) -> None:
    assert kapstan("config", "list").code == 0
    assert kapstan("config", "get", "nope").code == 1
    usage = kapstan("config", "diff", "dev", "one", "2")
    assert usage.code == ExitCode.USAGE and "Invalid value" in usage.err
    assert kapstan("app", "graph", "x", "-o", "png").code == ExitCode.USAGE
    assert kapstan("no-such-command").code == ExitCode.USAGE


def test_global_db_option(kapstan: Run, tmp_path: Path, db_url: str) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert kapstan("--db", other, "config", "set", "elsewhere", "a=1").code == 0
    assert kapstan("--db", other, "config", "list", "-o", "json").json()[0]["name"] == "elsewhere"
    assert kapstan("config", "list", "-o", "json").json() == []


def test_secret_key_generate(kapstan: Run) -> None:
    key = kapstan("secret-key", "generate").out.strip()
    assert len(key) == 44 and key != kapstan("secret-key", "generate").out.strip()


def test_entry_point_and_exit_codes_in_a_subprocess(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KAPSTAN_DB": f"sqlite:///{tmp_path / 'k.db'}",
        "KAPSTAN_SECRET_KEY": generate_key(),
        "KAPSTAN_USER": "ci",
    }
    kapstan = str(Path(sys.executable).parent / "kapstan")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [kapstan, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    ok = run("template", "import", str(FIXTURES / "bookstore"))
    assert (ok.returncode, ok.stdout) == (0, "template bookstore: version 1 saved\n")
    failed = run("template", "show", "nope")
    assert (failed.returncode, failed.stderr) == (1, "error: template 'nope' not found\n")
    assert run("template", "show").returncode == ExitCode.USAGE
