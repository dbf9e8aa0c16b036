"""``kapstan market`` through a root command built like kapstan.cli.main's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import typer

from kapstan import sandbox
from kapstan.cli import market_cmd
from kapstan.cli.common import Settings
from kapstan.cli.output import print_error
from kapstan.errors import KapstanError
from kapstan.market.registry import MarketPaths
from kapstan.store import Store
from tests.market.conftest import write_catalog

root = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
root.add_typer(market_cmd.app, name="market")


@root.callback()
def _root(ctx: typer.Context, db: str | None = typer.Option(None, "--db")) -> None:
    ctx.obj = Settings(db=db)


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def kapstan(
    tmp_path: Path, secret_key: str, market_paths: MarketPaths, capsys: pytest.CaptureFixture[str]
) -> Run:
    db = f"sqlite:///{tmp_path / 'cli.db'}"

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            typer.main.get_command(root).main(
                args=["--db", db, *args], prog_name="kapstan", standalone_mode=True
            )
            code = 0
        except KapstanError as exc:
            print_error(str(exc))
            code = exc.exit_code
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_list_and_show(kapstan: Run) -> None:
    code, out, _ = kapstan("market", "list", "-o", "json")
    assert code == 0
    names = {(t["catalog"], t["name"]) for t in json.loads(out)}
    assert ("kapstan", "demo-shop") in names and ("kapstan", "postgresql") in names
    code, out, _ = kapstan("market", "show", "three-tier")
    assert code == 0
    assert "three-tier: 3 services in 3 waves" in out
    assert "db.password" in out and "(secret: generated at install)" in out
    code, out, _ = kapstan("market", "show", "redis", "-o", "json")
    keys = {k["key"]: k for k in json.loads(out)["keys"]}
    assert keys["redis.password"]["secret"] and keys["redis.password"]["default"] is None


def test_install_then_errors_name_what_is_unknown(kapstan: Run, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    with Store.open(str(tmp_path / "cli.db")) as store:
        store.create_environment(
            "dev", kubeconfig=str(kubeconfig), context=None, namespace="dev", config=None
        )
    code, out, _ = kapstan(
        "market", "install", "nginx", "--env", "dev", "--set", "nginx.replicas=3"
    )
    assert code == 0, out
    assert "template nginx: version 1 saved" in out
    assert "application nginx: created in environment dev (namespace dev)" in out
    code, _, err = kapstan("market", "install", "nginx", "--env", "qa", "--app", "x")
    assert code == 1 and "environment 'qa' not found" in err
    code, _, err = kapstan("market", "install", "ngin", "--env", "dev")
    assert code == 1 and "did you mean 'nginx'" in err


def test_add_list_and_remove_a_catalog(kapstan: Run, tmp_path: Path) -> None:
    root_dir = write_catalog(tmp_path / "mine")
    code, out, _ = kapstan("market", "add", "mine", str(root_dir))
    assert (code, out.strip()) == (0, f"catalog mine: 1 template from {root_dir.resolve()}")
    code, out, _ = kapstan("market", "list")
    assert any(line.split()[:2] == ["mine", "hello"] for line in out.splitlines())
    code, out, _ = kapstan("market", "catalogs", "-o", "json")
    assert [c["name"] for c in json.loads(out)] == ["kapstan", "mine"]
    code, out, _ = kapstan("market", "remove", "mine")
    assert code == 0 and "catalog mine removed" in out
    code, _, err = kapstan("market", "remove", "mine")
    assert code == 1 and "no registered market catalog 'mine'" in err


def test_install_with_deploy_prints_each_service_outcome(
    kapstan: Run, tmp_path: Path, sandbox_cluster: sandbox.SandboxState
) -> None:
    namespace = f"market-cli-{uuid.uuid4().hex[:6]}"
    with Store.open(str(tmp_path / "cli.db")) as store:
        store.create_environment(
            "dev",
            kubeconfig=str(sandbox_cluster.kubeconfig),
            context=None,
            namespace=namespace,
            config=None,
        )
    code, out, err = kapstan("market", "install", "redis", "--env", "dev", "--deploy")
    assert code == 0, err
    assert "application redis: created in environment dev" in out
    assert "succeeded: 1 ready" in out
    assert [line.split()[:2] for line in out.splitlines()][-1] == ["redis", "ready"]
    assert "redis" in err and "healthy" in err, "progress goes to stderr as it happens"
