"""Start-up of the ``kapstan`` command (issues 15 and 16): what a command imports first.

Every CLI run (and every CLI subprocess of this suite) used to import all of Kapstan —
the store and Alembic, the API's schemas, the Kubernetes client — before its first
request. No clock here: each case runs the CLI in a fresh interpreter and reads
``sys.modules`` after it (bench figures: /work/notes/h1-startup.md).
"""

from __future__ import annotations

import inspect
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml

from kapstan.cli import app_cmd
from kapstan.cli.appgroup import COMMANDS as APP_COMMANDS
from kapstan.cli.appgroup import command_name
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.lazy import LazyGroup
from kapstan.cli.main import COMMANDS
from kapstan.cli.main import app as root_app
from kapstan.store.migrate import head, scripts_head
from tests.cli.conftest import Run

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
    "sqlalchemy.dialects.postgresql",  # a SQLite store (kapstan.store.tables.DeferredOptionsIndex)
)
# Nor does it need any other layer but the store (issue 15): the `app` group's modules
# import the API's schemas and HTTP client, the Kubernetes client, the template loader,
# the rendering core and the engine where a command uses them.
NOT_FOR_APP_LIST = (
    *NOT_FOR_A_LOCAL_READ,
    "lightkube",
    "httpx",
    "httpx2",
    "yaml",
    "kapstan.kube",
    "kapstan.schemas",
    "kapstan.client",
    "kapstan.templates",
    "kapstan.render",
    "kapstan.engine.deploy",
    "kapstan.engine.planning",
    "argon2",
)
# A command's help needs its options only: not even the store.
NOT_FOR_HELP = (
    *NOT_FOR_APP_LIST,
    "sqlalchemy",
    "cryptography",
    "argon2",
    "kapstan.store.repository",
)
# Nor do the other local reads (env, config, template list): the server's sides of their
# ports are modules of their own, and the actions that reach a cluster load with their use.
NOT_FOR_LOCAL_READS = (
    *NOT_FOR_A_LOCAL_READ,
    "lightkube",
    "httpx",
    "httpx2",
    "kapstan.kube",
    "kapstan.schemas",
    "kapstan.client",
    "kapstan.engine.deploy",
)
# A local deploy runs the engine here: the server's side (schemas, HTTP client) stays out,
# and so does pydantic (Typer's coercion of the options' values: kapstan.cli.coercion).
NOT_FOR_A_LOCAL_DEPLOY = (
    "kapstan.schemas",
    "kapstan.client",
    "httpx",
    "fastapi",
    "alembic",
    "pydantic",
    "typer._adapters",
    "kapstan.actions.promote",
    "kapstan.actions.status",
    "sqlalchemy.dialects.postgresql",
    "argon2",  # the store hashes no password for it (kapstan.store.passwords)
)
# A deploy through a server sends its request and follows the operation: none of the
# store, the Kubernetes client, the engine's run, the journal or the live status reads, and
# of the API's schemas only the ones it decodes (kapstan.schemas loads each on first use).
NOT_FOR_A_REMOTE_DEPLOY = (
    "sqlalchemy",
    "alembic",
    "kapstan.store.repository",
    "kapstan.store.tables",
    "lightkube",
    "httpx2",
    "kapstan.kube",
    "kapstan.engine.deploy",
    "kapstan.engine.watches",
    "kapstan.actions.journal",
    "kapstan.actions.status",
    "cryptography",
    "kapstan.schemas.access",
    "kapstan.schemas.clusters",
    "fastapi",
)
# An `app` command mounts its own module only (kapstan.cli.appgroup): `app deploy` none of
# the views, live reads, delete (with the env, template and config groups) or drift.
OTHER_APP_COMMANDS = (
    "kapstan.cli.appviews_cmd",
    "kapstan.cli.daytwo_cmd",
    "kapstan.cli.delete_cmd",
    "kapstan.cli.drift_cmd",
    "kapstan.cli.instances_cmd",
    "kapstan.cli.env_cmd",
    "kapstan.cli.template_cmd",
    "kapstan.cli.config_cmd",
)
# Only the parsing of NAME@VERSION references, of all the actions.
ACTIONS_FOR_PARSING = {"kapstan.actions", "kapstan.actions.refs"}
# `cluster show` reads the store and the cluster: no other command's modules, no schemas,
# no engine, no templates, no rendering core (its label names only, when apps are shown).
NOT_FOR_CLUSTER_SHOW = (
    *NOT_FOR_A_LOCAL_READ,
    "kapstan.cli.app_cmd",
    "kapstan.cli.env_cmd",
    "kapstan.schemas",
    "kapstan.client",
    "kapstan.engine",
    "kapstan.templates",
    "kapstan.plan",
    "kapstan.model.template",
    "kapstan.render.labels",
)

SCRIPT = """
import json, sys
from kapstan.cli.main import main
codes, modules = [], []
for args in json.loads(sys.argv[1]):
    codes.append(main(args))
    modules.append(sorted(sys.modules))
with open(sys.argv[2], "w") as out:
    json.dump({"codes": codes, "modules": modules}, out)
"""


def _run_each(tmp_path: Path, *commands: list[str]) -> tuple[list[int], list[set[str]]]:
    """Exit codes of ``commands`` run in turn in one fresh interpreter, and what it had
    imported after each (so the lightest command goes first)."""
    report = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(commands), str(report)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    found = json.loads(report.read_text())
    return found["codes"], [set(m) for m in found["modules"]]


def _run(tmp_path: Path, *commands: list[str]) -> tuple[list[int], set[str]]:
    """Exit codes of ``commands`` run in turn in one fresh interpreter, and what it imported."""
    codes, modules = _run_each(tmp_path, *commands)
    return codes, modules[-1]


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return [p for p in packages if p in modules or any(m.startswith(p + ".") for m in modules)]


def test_version_and_help_import_no_command_and_no_heavy_library(tmp_path: Path) -> None:
    codes, modules = _run(tmp_path, ["--version"], ["--help"])
    assert codes == [0, 0]
    assert _loaded(modules, HEAVY) == []
    assert sorted(m for m in modules if m.startswith("kapstan.cli.") and "_cmd" in m) == []


def _actions(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "kapstan.actions" or m.startswith("kapstan.actions.")}


def test_app_deploy_help_a_local_app_list_and_deploy_load_only_what_they_use(
    tmp_path: Path, db_url: str
) -> None:
    codes, (helped, listed, _, _, read, deployed) = _run_each(
        tmp_path,
        ["app", "deploy", "--help"],
        ["app", "list", "--db", db_url],
        ["env", "list", "--db", db_url],
        ["config", "list", "--db", db_url],
        ["template", "list", "--db", db_url],
        ["app", "deploy", "nosuch", "--yes", "--db", db_url],  # the local deploy port, loaded
    )
    assert codes == [0, 0, 0, 0, 0, ExitCode.FAILED]  # FAILED: no such application
    assert _loaded(helped, NOT_FOR_HELP) == []
    assert _loaded(listed, OTHER_APP_COMMANDS) == []  # nor, before it, `app deploy --help`
    assert _actions(helped) <= ACTIONS_FOR_PARSING
    assert "kapstan.store.repository" in listed  # it did read the store
    assert _loaded(listed, NOT_FOR_APP_LIST) == []
    assert _actions(listed) <= ACTIONS_FOR_PARSING
    assert "kapstan.engine.deploy" in deployed
    assert _loaded(deployed, NOT_FOR_A_LOCAL_DEPLOY) == []
    assert _loaded(read, NOT_FOR_LOCAL_READS) == []


def test_cluster_show_loads_the_store_and_the_kubernetes_client_only(
    tmp_path: Path, kapstan: Run
) -> None:
    # Nothing listens there: the report says so (exit 0), after the same imports.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    assert kapstan("cluster", "add", "edge", "--kubeconfig", kubeconfig).code == 0
    codes, modules = _run(tmp_path, ["cluster", "show", "edge", "--timeout", "2s", "-o", "json"])
    assert codes == [0]
    assert "kapstan.kube" in modules and "kapstan.store.repository" in modules
    assert _loaded(modules, NOT_FOR_CLUSTER_SHOW) == []


def test_a_deploy_through_a_server_loads_neither_the_store_nor_the_engine(
    tmp_path: Path,
) -> None:
    with socket.socket() as closed:  # bound, never listening: the connection is refused
        closed.bind(("127.0.0.1", 0))
        server = f"http://127.0.0.1:{closed.getsockname()[1]}"
        codes, modules = _run(
            tmp_path, ["--server", server, "--token", "t", "app", "deploy", "web", "--yes"]
        )
    assert codes != [0]  # it got as far as its first request
    assert "kapstan.client.http" in modules and "kapstan.cli.backend.remotedeploys" in modules
    assert _loaded(modules, NOT_FOR_A_REMOTE_DEPLOY) == []


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


def _root() -> LazyGroup:
    group = typer.main.get_command(root_app)
    assert isinstance(group, LazyGroup)
    return group


def test_app_help_and_completion_are_the_same_lazy_or_loaded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    lazy, loaded = (_root().commands["app"], _root().commands["app"])
    assert isinstance(lazy, LazyGroup) and isinstance(loaded, LazyGroup)
    before = _help(lazy, capsys)
    made = dict(loaded.commands.items())  # mounts every command
    own = {"create", "list", "show", "changes", "update", "webhook"}  # app_cmd's
    assert set(made) == set(APP_COMMANDS) | own
    assert _help(loaded, capsys) == before
    for name in ("deploy", "logs", "delete", "instances"):
        assert f" {name} " in before, name


def test_each_app_command_out_of_app_cmd_is_in_the_table_with_its_help() -> None:
    from kapstan.cli import (  # noqa: F401  (each registers its commands on app_cmd.app)
        appviews_cmd,
        daytwo_cmd,
        delete_cmd,
        deploy_cmd,
        drift_cmd,
        instances_cmd,
    )

    others = [
        i for i in app_cmd.app.registered_commands if i.callback.__module__ != app_cmd.__name__
    ]
    # All of them (help lists them in the table's order, whichever was imported first).
    assert sorted(command_name(i) for i in others) == sorted(APP_COMMANDS)
    for info in others:
        first = inspect.cleandoc(info.help or info.callback.__doc__ or "").split("\n\n")[0]
        assert APP_COMMANDS[command_name(info)].summary == first, command_name(info)


PLAIN_PROGRESS = """
import sys
from datetime import UTC, datetime
from kapstan.cli.backend.started import Pending
from kapstan.cli.output import Format
from kapstan.cli.progress import ProgressMode, show_progress
from kapstan.model.operation import Operation, Step

def run(listener):
    listener("web", "", "applying", "applying revision 1")  # as the engine's first write
    print("rich while it ran:", "rich" in sys.modules)
    now = datetime.now(UTC)
    return Operation(1, "shop", "deploy", Step.SUCCEEDED, "ana", now, now)

show_progress(Pending("shop", run), Format.table, ProgressMode.plain, services=["web"])
print("rich after:", "rich" in sys.modules)
"""


def test_plain_progress_loads_rich_after_the_operation_not_before_its_first_write() -> None:
    found = subprocess.run(
        [sys.executable, "-c", PLAIN_PROGRESS], check=True, capture_output=True, text=True
    )
    assert found.stdout.splitlines() == ["rich while it ran: False", "rich after: True"]
    assert "applying revision 1" in found.stderr  # the event, then the summary (rich's)
    assert "deploy of shop succeeded" in found.stderr, found.stderr


def test_the_store_knows_its_newest_schema_without_alembic() -> None:
    # The fast path of every store opening compares the version row with this.
    assert scripts_head() == head()
