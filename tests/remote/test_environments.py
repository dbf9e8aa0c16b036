"""``kapstan env`` through a server: same output as local, the server's checks apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.cli.exitcodes import ExitCode
from tests.remote.conftest import Cli


def test_create_through_the_server_is_seen_locally(cli: Cli) -> None:
    made = cli.remote(
        "env", "create", "qa", "--kubeconfig", cli.server.kubeconfig, "--namespace", "qa-ns"
    )
    assert made.code == 0, made.err
    assert made.out == "environment qa created (namespace qa-ns)\n"
    shown = cli.local("env", "show", "qa", "-o", "json")
    assert shown.code == 0 and shown.json()["namespace"] == "qa-ns"
    assert shown.json()["kubeconfig"] == str(cli.server.kubeconfig)


@pytest.mark.parametrize("fmt", ["table", "json", "yaml"])
def test_list_and_show_print_the_same_either_way(cli: Cli, fmt: str) -> None:
    listed_local, listed_remote = cli.both("env", "list", "-o", fmt)
    assert listed_local.code == listed_remote.code == 0
    assert listed_remote.out == listed_local.out
    assert "dev" in listed_remote.out
    shown_local, shown_remote = cli.both("env", "show", "dev", "-o", fmt)
    assert shown_local.code == shown_remote.code == 0
    assert shown_remote.out == shown_local.out


def test_clone_is_made_by_the_caller(cli: Cli) -> None:
    cli.local("config", "set", "dev-config", "a=1")
    made = cli.remote("env", "clone", "dev", "dev2", "--namespace", "dev2")
    assert made.code == 0, made.err
    assert made.out.startswith("environment dev2 cloned from dev")


def test_errors_are_the_servers_messages_with_the_same_exit_code(cli: Cli) -> None:
    local, remote = cli.both("env", "show", "nowhere")
    assert local.code == remote.code == 1
    assert "nowhere" in remote.err
    assert remote.err == local.err


def test_a_viewer_cannot_create_and_is_told_why(cli: Cli) -> None:
    refused = cli.remote(
        "env", "create", "x", "--kubeconfig", cli.server.kubeconfig, "--namespace", "x", user="vic"
    )
    assert refused.code == 1
    assert "administrator" in refused.err and "vic" in refused.err
    assert cli.local("env", "show", "x").code == 1  # nothing was made


def test_no_token_is_a_clear_error(cli: Cli) -> None:
    result = cli.capture(["--server", cli.server.url, "env", "list"])
    assert result.code == 1
    assert "--token" in result.err and "KAPSTAN_TOKEN" in result.err


def test_a_wrong_token_is_refused(cli: Cli) -> None:
    result = cli.capture(["--server", cli.server.url, "--token", "kst_not-a-token", "env", "list"])
    assert result.code == 1 and "token" in result.err.lower()


def test_an_unreachable_server_names_the_url(cli: Cli) -> None:
    from tests.replicas.servers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    result = cli.capture(["--server", url, "--token", "t", "env", "list"])
    assert result.code == 1
    assert f"cannot reach the Kapstan server at {url}" in result.err


def test_the_server_can_come_from_the_environment(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAPSTAN_SERVER", cli.server.url)
    monkeypatch.setenv("KAPSTAN_TOKEN", cli.server.tokens["vic"])
    result = cli.capture(["env", "list", "-o", "json"])
    assert result.code == 0, result.err
    assert [e["name"] for e in result.json()] == ["dev"]  # vic views dev only
    # An explicit --db wins over $KAPSTAN_SERVER: the local store shows every environment.
    local = cli.capture(["--db", cli.server.db, "env", "list", "-o", "json"])
    assert len(local.json()) > 1 or local.json()[0]["name"] == "dev"


def test_db_and_server_together_is_a_usage_error(cli: Cli) -> None:
    result = cli.capture(["--db", cli.server.db, "--server", cli.server.url, "env", "list"])
    assert result.code == ExitCode.USAGE


def test_a_bad_server_url_is_an_input_error(cli: Cli) -> None:
    result = cli.capture(["--server", "ftp://x", "env", "list"])
    assert result.code == 1 and "http://HOST:PORT" in result.err


def test_approval_rule_set_either_way_and_audited(cli: Cli) -> None:
    cli.local("env", "create", "gated", "--kubeconfig", cli.server.kubeconfig, "--namespace", "g")
    refused = cli.remote("env", "approval", "gated", "--required", user="vic")
    assert refused.code == 1 and "administrator" in refused.err
    done = cli.remote("env", "approval", "gated", "--required")
    assert (
        done.code == 0
        and done.out
        == "environment gated requires approval for deploys, rollbacks, deletes and promotions\n"
    )
    local, remote = cli.both("env", "show", "gated", "-o", "json")
    assert remote.out == local.out and remote.json()["requiresApproval"] is True
    off = cli.local("env", "approval", "gated", "--not-required")
    assert (
        off.out
        == "environment gated does not require approval for deploys, rollbacks, deletes and promotions\n"
    )
    assert cli.remote("env", "show", "gated", "-o", "json").json()["requiresApproval"] is False
    with cli.server.store() as store:
        entries = [e for e in store.list_audit() if e.action == "environment.approval"]
        assert [(e.actor, e.details["requiresApproval"]) for e in entries[:2]] == [
            ("local-op", False),
            ("root", True),
        ]


def test_set_config_through_the_server_is_audited_there(cli: Cli) -> None:
    cli.local("config", "set", "other-config", "a=1")
    cli.local("env", "create", "cfg", "--kubeconfig", cli.server.kubeconfig, "--namespace", "cfg")
    changed = cli.remote("env", "set-config", "cfg", "other-config", "-o", "json")
    assert changed.code == 0, changed.err
    assert changed.json()["config"] == "other-config"
    assert cli.local("env", "show", "cfg", "-o", "json").json()["config"] == "other-config"
    missing = cli.remote("env", "set-config", "cfg", "nope")
    assert missing.code == 1 and "kapstan config set nope KEY=VALUE" in missing.err
    with cli.server.store() as store:
        entries = [e for e in store.list_audit(name="cfg") if e.action == "environment.config"]
    assert [(e.actor, e.details.get("to")) for e in entries] == [("root", "other-config")]


def test_quota_through_the_server_reads_and_refuses_as_locally(cli: Cli) -> None:
    """``env quota``: the same output either way; the server applies it (no cluster here:
    stored, and the message says how to apply it), and its refusal of a viewer is named."""
    shown_local, shown_remote = cli.both("env", "quota", "show", "dev", "-o", "json")
    assert shown_local.code == shown_remote.code == 0, shown_remote.err
    assert shown_remote.out == shown_local.out
    bad = cli.remote("env", "quota", "set", "dev", "--memory", "8GB")
    assert bad.code != 0 and "--memory: '8GB' is not a Kubernetes quantity" in bad.err
    refused = cli.remote("env", "quota", "set", "dev", "--pods", "5", user="vic")
    assert refused.code != 0 and "needs an administrator or its admin role" in refused.err
    stored = cli.remote("env", "quota", "set", "dev", "--pods", "5", "--default", "cpu=100m")
    assert stored.code != 0 and "quota could not be applied" in stored.err, stored.err
    again_local, again_remote = cli.both("env", "quota", "show", "dev", "--no-live", "-o", "json")
    assert again_remote.out == again_local.out
    assert '"pods": "5"' in again_remote.out and '"cpu": "100m"' in again_remote.out


LOG_RULES = """\
- name: errors
  services: [web]
  include: ['ERROR']
  to: {otlp: {endpoint: 'collector:4317'}}
"""


def test_log_rules_through_the_server_show_as_locally(cli: Cli, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(LOG_RULES.replace("'ERROR'", "'(?<=E)RROR'"))
    bad = cli.remote("env", "logs", "set", "dev", rules)
    assert bad.code != 0 and f"{rules}:1:3: log rule 'errors': field 'include'" in bad.err
    rules.write_text(LOG_RULES)
    refused = cli.remote("env", "logs", "set", "dev", rules, user="dana")
    assert refused.code != 0 and "needs an administrator or its admin role" in refused.err
    stored = cli.remote("env", "logs", "set", "dev", rules)
    assert stored.code == 0, stored.err
    assert "warning: log rule 'errors': web selects no deployed service" in stored.out
    local, remote = cli.both("env", "logs", "show", "dev", "-o", "json")
    assert local.code == remote.code == 0, remote.err
    assert remote.out == local.out
    assert remote.json()["rules"][0]["include"] == ["ERROR"]
    cleared = cli.remote("env", "logs", "clear", "dev")
    assert (
        cleared.code == 0
        and cli.local("env", "logs", "show", "dev", "-o", "json").json()["rules"] == []
    )
