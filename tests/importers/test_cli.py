"""``kapstan import compose|manifests|helm`` in process, on a root app like the real one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import typer

from kapstan.cli import import_cmd
from kapstan.cli.common import Settings
from kapstan.cli.output import print_error
from kapstan.errors import KapstanError
from kapstan.store import Store
from tests.importers.conftest import CHART, CHART_VALUES, COMPOSE, FIXTURES, MANIFESTS

root = typer.Typer()
root.add_typer(import_cmd.app, name="import")


@root.callback()
def _root(ctx: typer.Context, db: str | None = typer.Option(None, "--db")) -> None:
    ctx.obj = Settings(db=db)


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture()
def kapstan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    monkeypatch.setenv("KAPSTAN_USER", "tester")
    db = f"sqlite:///{tmp_path / 'kapstan.db'}"

    def run(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        command = typer.main.get_command(root)
        code = 0
        try:
            command.main(args=["--db", db, *map(str, args)], standalone_mode=True)
        except KapstanError as exc:
            print_error(str(exc))
            code = exc.exit_code
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def _versions(tmp_path: Path, name: str) -> list[int]:
    with Store.open(f"sqlite:///{tmp_path / 'kapstan.db'}") as store:
        return [v.version for v in store.template_history(name)]


def test_compose_import_saves_a_version_and_prints_services_and_report(
    kapstan: Run, tmp_path: Path
) -> None:
    code, out, _ = kapstan("import", "compose", COMPOSE)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "template storefront@1 saved"
    assert (
        lines[1] == "services: web, api, worker, migrate, db, cache, queue, mailer, search-engine"
    )
    assert lines[2].startswith("report (") and "service 'api' build: not translated" in out
    again = kapstan("import", "compose", COMPOSE)
    assert again[1].splitlines()[0] == "template storefront: unchanged, still version 1"
    assert _versions(tmp_path, "storefront") == [1]


def test_compose_profiles_are_chosen_on_the_command_line(kapstan: Run) -> None:
    project = COMPOSE.parent.parent / "compose-findings" / "compose.yaml"
    plain = kapstan("import", "compose", project)
    assert plain[0] == 0 and "adminer" not in plain[1].splitlines()[1]
    code, out, _ = kapstan("import", "compose", project, "--profile", "debug", "--profile", "x")
    assert code == 1  # profile x names no service: nothing is saved
    code, out, _ = kapstan("import", "compose", project, "--profile", "debug")
    assert code == 0 and out.splitlines()[1].endswith("cache, db, adminer")


def test_manifests_import_under_a_name(kapstan: Run, tmp_path: Path) -> None:
    code, out, _ = kapstan("import", "manifests", MANIFESTS, "--name", "shop", "-m", "first")
    assert code == 0 and out.startswith("template shop@1 saved\nservices: shared, catalog")
    assert _versions(tmp_path, "shop") == [1]


@pytest.mark.usefixtures("helm_built")
def test_helm_import_with_values(kapstan: Run) -> None:
    code, out, _ = kapstan("import", "helm", CHART, "--values", CHART_VALUES)
    assert code == 0 and out.startswith(
        "template blog@1 saved\nservices: cache, blog-api, blog-worker"
    )
    assert "chart blog: rendered for Kubernetes v1.36.3 (the sandbox's version)" in out


@pytest.mark.usefixtures("helm_built")
def test_helm_import_for_a_kubernetes_version_the_chart_refuses(kapstan: Run) -> None:
    code, out, err = kapstan("import", "helm", FIXTURES / "shop", "--kube-version", "v1.22.0")
    assert code == 1 and out == ""
    assert "kubeVersion: >=1.23.0-0 which is incompatible with Kubernetes v1.22.0" in err


def test_bad_input_exits_1_naming_the_file_and_writes_nothing(kapstan: Run, tmp_path: Path) -> None:
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  web:\n    image: nginx\n    depends_on: [db]\n")
    code, out, err = kapstan("import", "compose", bad)
    assert code == 1 and out == ""
    assert f"{bad}:4: service 'web' depends_on[0]: depends_on names unknown service 'db'" in err
    with Store.open(f"sqlite:///{tmp_path / 'kapstan.db'}") as store:
        assert store.list_templates() == []
