"""``kapstan env set`` and ``env clone --namespace`` through a server: same as locally."""

from __future__ import annotations

from tests.remote.conftest import Cli


def test_env_set_and_clone_through_the_server(cli: Cli) -> None:
    refused = cli.remote("env", "set", "dev", "--allow-kind", "ClusterRole", user="dana")
    assert refused.code == 1 and "changing an environment's boundary" in refused.err
    changed = cli.remote(
        "env",
        "set",
        "dev",
        "--allow-namespace",
        "teamb",
        "--allow-kind",
        "ClusterRole",
        "--impersonate",
        "alice",
    )
    assert changed.code == 0, changed.err
    again = cli.remote("env", "set", "dev", "--allow-namespace", "cache")
    assert "other namespaces allowed: cache, teamb" in again.out, "added, not replaced"
    local, remote = cli.both("env", "show", "dev", "-o", "json")
    assert local.out == remote.out
    assert remote.json()["allowedKinds"] == ["ClusterRole"]
    assert remote.json()["impersonate"] == "alice"
    off = cli.remote("env", "set", "dev", "--no-impersonate", "--remove-namespace", "teamb")
    assert off.code == 0 and "deploys act as: the kubeconfig's user" in off.out
    assert cli.local("env", "show", "dev", "-o", "json").json()["allowedNamespaces"] == ["cache"]
    same = cli.remote("env", "clone", "dev", "dev-copy")
    assert same.code == 1 and "--namespace NAMESPACE" in same.err
    moved = cli.remote("env", "clone", "dev", "dev-copy", "--namespace", "copy-ns")
    assert moved.code == 0, moved.err
    copy = cli.local("env", "show", "dev-copy", "-o", "json").json()
    assert copy["namespace"] == "copy-ns" and copy["allowedNamespaces"] == ["cache"]
    audit = cli.local("audit", "list", "-o", "json")
    assert audit.out.count("environment.boundary") == 3
