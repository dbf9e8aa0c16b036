"""``kapstan market list|install`` through a server: the server's catalogs, its checks."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from kapstan import sandbox
from kapstan.model.values import SecretValue
from tests.market.conftest import write_catalog
from tests.remote.conftest import Cli
from tests.remote.test_deploys import make_env


def test_list_is_the_same_either_way(cli: Cli) -> None:
    local, remote = cli.both("market", "list", "-o", "json")
    assert local.code == remote.code == 0
    assert remote.out == local.out
    assert "redis" in {t["name"] for t in remote.json()}


def test_install_through_the_server_prints_what_a_local_install_prints(cli: Cli) -> None:
    local = cli.local("market", "install", "postgresql", "--env", "dev", "--app", "pg-local")
    remote = cli.remote("market", "install", "postgresql", "--env", "dev", "--app", "pg-remote")
    assert local.code == remote.code == 0, remote.err
    local_lines = local.out.replace("pg-local", "APP").splitlines()
    remote_lines = remote.out.replace("pg-remote", "APP").splitlines()
    # The local install saved the template; the server found the same content already there.
    assert local_lines[0] == "template postgresql: version 1 saved (from catalog kapstan)"
    assert remote_lines[0] == "template postgresql: unchanged, still version 1"
    assert remote_lines[1:] == local_lines[1:]
    assert "random secrets generated for postgresql.password" in remote_lines[1]
    with cli.server.store() as store:
        app = store.get_application("pg-remote")
        assert (app.template, app.environment) == ("postgresql", "dev")
        config = store.get_config("pg-remote")
        secrets = [k for k, v in config.values.items() if isinstance(v, SecretValue)]
        assert secrets, "the template's secret keys are stored as secrets"
        assert config.author == "root"
        entry = next(e for e in store.list_audit() if e.action == "market.install")
        assert (entry.actor, entry.name, entry.environment) == ("root", "pg-remote", "dev")
    for secret in secrets:
        assert config.values[secret].reveal() not in remote.out  # type: ignore[union-attr]


def test_a_viewer_cannot_install_and_nothing_is_written(cli: Cli) -> None:
    refused = cli.remote("market", "install", "redis", "--env", "dev", "--app", "r-vic", user="vic")
    assert refused.code == 1 and "vic" in refused.err
    with cli.server.store() as store:
        assert "r-vic" not in {a.name for a in store.list_applications()}
        assert "r-vic" not in {c.name for c in store.list_configs()}


def test_unknown_template_and_bad_keys_are_the_same_errors_either_way(cli: Cli) -> None:
    local, remote = cli.both("market", "install", "no-such-thing", "--env", "dev")
    assert local.code == remote.code == 1
    assert remote.err == local.err
    local, remote = cli.both(
        "market", "install", "redis", "--env", "dev", "--app", "r-bad", "--set", "not.a.key=1"
    )
    assert local.code == remote.code == 1
    assert remote.err == local.err and "not.a.key" in remote.err


def test_install_and_deploy_through_the_server_on_the_sandbox(
    cli: Cli, sandbox_cluster: sandbox.SandboxState
) -> None:
    env = f"mk{uuid.uuid4().hex[:4]}"
    make_env(cli, env, Path(sandbox_cluster.kubeconfig), dana="deployer")
    done = cli.remote(
        "market",
        "install",
        "redis",
        "--env",
        env,
        "--app",
        f"{env}-redis",
        "--deploy",
        "--timeout",
        "120",
        user="dana",
    )
    assert done.code == 0, done.err
    assert f"application {env}-redis: created in environment {env}" in done.out
    assert re.search(r"operation \d+ \(deploy\) succeeded", done.out), done.out
    assert re.search(r"^  redis\s+ready ", done.out, re.MULTILINE), done.out
    assert "ready" in done.err  # progress lines, streamed from the server
    with cli.server.store() as store:
        op = store.latest_operation(f"{env}-redis")
        assert op is not None and op.author == "dana"


def test_catalogs_added_listed_and_removed_on_the_server_like_helm_repo(
    cli: Cli, tmp_path: Path
) -> None:
    folder = write_catalog(tmp_path / "team")
    refused = cli.remote("market", "add", "team", folder, user="vic")
    assert refused.code == 1 and "administrator" in refused.err, refused.err
    added = cli.remote("market", "repo", "add", "team", folder)
    assert added.code == 0, added.err
    assert added.out.strip() == f"catalog team: 1 template from {folder.resolve()}"
    listed = cli.remote("market", "repo", "list", "-o", "json")
    assert [c["name"] for c in listed.json()] == ["kapstan", "team"]
    assert cli.remote("market", "catalogs", "-o", "json").out == listed.out
    assert "hello" in {t["name"] for t in cli.remote("market", "list", "-o", "json").json()}
    with cli.server.store() as store:
        actions = [(e.action, e.actor, e.name) for e in store.list_audit() if e.kind == "catalog"]
    assert actions[0] == ("market.catalog.add", "root", "team"), "recorded by the server"
    gone = cli.remote("market", "repo", "remove", "team")
    assert gone.code == 0 and "catalog team removed" in gone.out
    missing = cli.remote("market", "remove", "team")
    assert missing.code == 1 and "no registered market catalog 'team'" in missing.err
    with cli.server.store() as store:
        latest = next(e.action for e in store.list_audit() if e.kind == "catalog")
    assert latest == "market.catalog.remove"


def test_global_options_after_the_command_reach_the_server(cli: Cli) -> None:
    url, root, vic = cli.server.url, cli.server.tokens["root"], cli.server.tokens["vic"]
    before = cli.capture(["--server", url, "--token", vic, "env", "list", "-o", "json"])
    after = cli.capture(["env", "list", "-o", "json", "--server", url, "--token", vic])
    assert before.code == after.code == 0, after.err
    assert after.out == before.out
    assert [e["name"] for e in after.json()] == ["dev"], "vic's view: the server answered"
    # Given both places, the one after the command wins (vic's token, not root's).
    both = cli.capture(
        ["--token", root, "--server", url, "env", "list", "-o", "json", "--token", vic]
    )
    assert both.out == before.out
