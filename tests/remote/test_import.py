"""``kapstan import compose|manifests|helm`` through a server: translated on this machine,
saved on the server by the caller; the same report and the same content as a local import."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.importers.conftest import CHART, CHART_VALUES, COMPOSE, MANIFESTS
from tests.remote.conftest import Cli, Server
from tests.replicas.servers import free_port

SOURCES: list[tuple[str, ...]] = [
    ("compose", str(COMPOSE)),
    ("manifests", str(MANIFESTS)),
    ("helm", str(CHART), "--values", str(CHART_VALUES)),
]


def _history(server: Server, name: str) -> list[tuple[int, str, str]]:
    with server.store() as store:
        return [(v.version, v.author, v.message) for v in store.template_history(name)]


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s[0])
def test_an_import_saved_through_the_server_equals_a_local_one(
    cli: Cli, server: Server, source: tuple[str, ...]
) -> None:
    if source[0] == "helm":
        from kapstan.importers.helmbin import require_helm

        require_helm()  # fails naming the command that builds it
    name = f"via-{source[0]}"
    remote = cli.remote("import", *source, "--name", name, "-m", "through the server")
    assert remote.code == 0, remote.err
    head, *rest = remote.out.splitlines()
    assert head == f"template {name}@1 saved"
    assert rest[0].startswith("services: ") and rest[1].startswith("report")
    # Translated again here and saved locally: the same content, so nothing new is saved.
    local = cli.local("import", *source, "--name", name)
    assert local.code == 0, local.err
    assert local.out.splitlines() == [f"template {name}: unchanged, still version 1", *rest]
    again = cli.remote("import", *source, "--name", name)
    assert again.out == local.out
    assert _history(server, name) == [(1, "root", "through the server")]


def test_the_name_comes_from_the_source_by_default(cli: Cli, server: Server) -> None:
    made = cli.remote("import", "compose", COMPOSE, user="dana")
    assert made.code == 0, made.err
    assert made.out.startswith("template storefront@1 saved\nservices: web, api, worker")
    assert _history(server, "storefront") == [(1, "dana", "")]


def test_a_viewer_cannot_save_an_import(cli: Cli, server: Server) -> None:
    refused = cli.remote("import", "manifests", MANIFESTS, "--name", "by-vic", user="vic")
    assert refused.code == 1 and refused.out == ""
    assert "vic" in refused.err and "deployer" in refused.err
    with server.store() as store:
        assert "by-vic" not in [t.name for t in store.list_templates()]


def test_bad_input_fails_here_before_any_request(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  web:\n    image: nginx\n    depends_on: [db]\n")
    nowhere = f"http://127.0.0.1:{free_port()}"  # no server there: translation fails first
    failed = cli.capture(["--server", nowhere, "--token", "t", "import", "compose", str(bad)])
    assert failed.code == 1 and failed.out == ""
    assert f"{bad}:4: service 'web' depends_on[0]: depends_on names unknown service 'db'" in (
        failed.err
    )
    local, remote = cli.both("import", "compose", bad)
    assert local.code == remote.code == 1 and remote.err == local.err


def test_an_unreachable_server_is_named_after_translating(cli: Cli) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    failed = cli.capture(["--server", nowhere, "--token", "t", "import", "compose", str(COMPOSE)])
    assert failed.code == 1 and failed.out == ""
    assert f"cannot reach the Kapstan server at {nowhere}" in failed.err
