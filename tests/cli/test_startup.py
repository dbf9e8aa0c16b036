"""Start-up of the ``kapstan`` command (issues 15 and 16): what a command imports first.

Every CLI run (and every CLI subprocess of this suite) used to import all of Kapstan —
the store and Alembic, the API's schemas, the Kubernetes client — before its first
request. No clock here: each case runs the CLI in a fresh interpreter and reads
``sys.modules`` after it (bench figures: /work/notes/h1-startup.md).
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from kapstan.cli.lazy import LazyGroup
from kapstan.cli.main import COMMANDS
from kapstan.cli.main import app as root_app
from kapstan.store.migrate import head, scripts_head

# Libraries and layers a command pays for only when it uses them.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "lightkube",
    "httpx",
    "httpx2",
    "jinja2",
    "cryptography",
    "argon2",
    "pydantic",
    "yaml",
    "kapstan.store",
    "kapstan.kube",
    "kapstan.api",
    "kapstan.web",
    "kapstan.actions",
    "kapstan.engine",
    "kapstan.schemas",
    "kapstan.client",
    "kapstan.importers",
    "kapstan.sandbox",
)
# What the local `app list` needs none of: the server, the console, migrations, importers.
NOT_FOR_A_LOCAL_READ = (
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "alembic",
    "mako",
    "kapstan.api",
    "kapstan.web",
    "kapstan.importers",
    "kapstan.sandbox",
)

SCRIPT = """
import json, sys
from kapstan.cli.main import main
codes = [main(args) for args in json.loads(sys.argv[1])]
with open(sys.argv[2], "w") as out:
    json.dump({"codes": codes, "modules": sorted(sys.modules)}, out)
"""


def _run(tmp_path: Path, *commands: list[str]) -> tuple[list[int], set[str]]:
    """Exit codes of ``commands`` run in turn in one fresh interpreter, and what it imported."""
    report = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(commands), str(report)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    found = json.loads(report.read_text())
    return found["codes"], set(found["modules"])


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return [p for p in packages if p in modules or any(m.startswith(p + ".") for m in modules)]


def test_version_and_help_import_no_command_and_no_heavy_library(tmp_path: Path) -> None:
    codes, modules = _run(tmp_path, ["--version"], ["--help"])
    assert codes == [0, 0]
    assert _loaded(modules, HEAVY) == []
    assert sorted(m for m in modules if m.startswith("kapstan.cli.") and "_cmd" in m) == []


def test_app_list_on_a_local_store_imports_no_server_and_no_migration(
    tmp_path: Path, db_url: str
) -> None:
    codes, modules = _run(tmp_path, ["app", "list", "--db", db_url])
    assert codes == [0]
    assert "kapstan.store" in modules  # it did read the store
    assert _loaded(modules, NOT_FOR_A_LOCAL_READ) == []


def _help(group: typer.core.TyperGroup, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    with group.make_context("kapstan", [], resilient_parsing=True) as ctx:
        print(group.get_help(ctx))
        first_words = [(c.value, c.help) for c in group.shell_complete(ctx, "")]
    return capsys.readouterr().out + json.dumps(first_words)


def test_root_help_and_completion_are_the_same_lazy_or_loaded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    lazy = typer.main.get_command(root_app)
    loaded = typer.main.get_command(root_app)
    assert isinstance(lazy, LazyGroup) and isinstance(loaded, LazyGroup)
    before = _help(lazy, capsys)
    assert lazy.lazy.loaded() == {}  # --help mounted nothing
    commands = dict(loaded.commands.items())  # mounts every command
    assert list(commands) == list(COMMANDS)  # each mount adds only names of the table
    assert _help(loaded, capsys) == before
    for name in ("template", "app", "user", "token", "demo"):
        assert f" {name} " in before, name


def test_each_summary_is_the_first_paragraph_of_the_commands_own_help() -> None:
    group = typer.main.get_command(root_app)
    assert isinstance(group, typer.core.TyperGroup)
    for name, entry in COMMANDS.items():
        command = group.commands[name]
        first = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
        assert entry.summary == " ".join(first.split()), name


def test_the_store_knows_its_newest_schema_without_alembic() -> None:
    # The fast path of every store opening compares the version row with this.
    assert scripts_head() == head()
