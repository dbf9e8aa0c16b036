"""Environment boundary settings (env set / show, the API) and the one-namespace-one-
environment rule of env create and env clone, without a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import Api
from tests.cli.conftest import Run
from tests.web.conftest import Console

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "{server}"}}}}]
users: [{{name: u, user: {{token: t}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
current-context: x
"""


def kubeconfig(tmp_path: Path, name: str, server: str = "https://10.0.0.1:6443") -> Path:
    path = tmp_path / name
    path.write_text(KUBECONFIG.format(server=server))
    return path


@pytest.fixture
def dev(kapstan: Run, tmp_path: Path) -> Run:
    made = kapstan(
        "env", "create", "dev", "--kubeconfig", kubeconfig(tmp_path, "a"), "--namespace", "shop"
    )
    assert made.code == 0, made.err
    return kapstan


def test_a_second_environment_on_one_cluster_and_namespace_is_refused(
    dev: Run, tmp_path: Path
) -> None:
    # Another file naming the same server is the same cluster.
    same = kubeconfig(tmp_path, "b")
    refused = dev("env", "create", "qa", "--kubeconfig", same, "--namespace", "shop")
    assert refused.code == 1
    assert refused.err.strip() == (
        "error: environment qa would use namespace 'shop' on cluster https://10.0.0.1:6443, as "
        "environment dev does: two environments in one namespace take each other's objects. "
        "Give qa its own namespace with --namespace; or, if they are meant to share it, mark "
        "dev shared (kapstan env set dev --shared) and pass --shared"
    )
    assert (
        dev("env", "create", "qa", "--kubeconfig", same, "--namespace", "shop", "--shared").code
        == 1
    )
    assert dev("env", "create", "qa", "--kubeconfig", same, "--namespace", "qa").code == 0
    other = kubeconfig(tmp_path, "c", server="https://10.0.0.2:6443")
    assert dev("env", "create", "qb", "--kubeconfig", other, "--namespace", "shop").code == 0
    assert dev("env", "set", "dev", "--shared").code == 0
    shared = dev("env", "create", "qc", "--kubeconfig", same, "--namespace", "shop", "--shared")
    assert shared.code == 0, shared.err
    unshare = dev("env", "set", "dev", "--not-shared")
    assert unshare.code == 1 and "qc use the same cluster and namespace" in unshare.err


def test_clone_must_go_elsewhere(dev: Run, tmp_path: Path) -> None:
    refused = dev("env", "clone", "dev", "staging")
    assert refused.code == 1
    assert (
        "Give the clone its own namespace: kapstan env clone dev staging --namespace "
        "NAMESPACE (or --kubeconfig/--context for another cluster)" in refused.err
    )
    assert dev("env", "list", "-o", "json").json()[0]["name"] == "dev"
    assert len(dev("env", "list", "-o", "json").json()) == 1
    made = dev("env", "clone", "dev", "staging", "--namespace", "shop-staging")
    assert made.out == "environment staging cloned from dev (namespace shop-staging)\n"
    other = kubeconfig(tmp_path, "prod", server="https://10.9.9.9:6443")
    moved = dev("env", "clone", "dev", "prod", "--kubeconfig", other)
    assert moved.code == 0, moved.err
    prod = dev("env", "show", "prod", "-o", "json").json()
    assert prod["namespace"] == "shop" and prod["kubeconfig"] == str(other)


def test_env_set_changes_the_boundary_and_show_lists_it(dev: Run) -> None:
    changed = dev(
        "env",
        "set",
        "dev",
        "--allow-namespace",
        "teamb",
        "--allow-namespace",
        "shared-cache",
        "--allow-kind",
        "ClusterRole",
        "--impersonate",
        "system:serviceaccount:shop:deployer",
    )
    assert changed.code == 0, changed.err
    assert changed.out == (
        "environment dev: namespace shop, other namespaces allowed: shared-cache, teamb\n"
        "cluster-scoped kinds allowed: ClusterRole\n"
        "deploys act as: system:serviceaccount:shop:deployer\n"
        "shared: no\n"
    )
    dev(
        "env",
        "set",
        "dev",
        "--remove-namespace",
        "shared-cache",
        "--allow-kind",
        "rbac.authorization.k8s.io/ClusterRoleBinding",
    )
    shown = dev("env", "show", "dev", "-o", "json").json()
    assert shown["allowedNamespaces"] == ["teamb"]
    assert shown["allowedKinds"] == ["ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding"]
    assert shown["impersonate"] == "system:serviceaccount:shop:deployer"
    assert "impersonate: system:serviceaccount:shop:deployer" in dev("env", "show", "dev").out
    assert dev("env", "set", "dev", "--no-impersonate").code == 0
    assert dev("env", "show", "dev", "-o", "json").json()["impersonate"] is None
    bad = dev("env", "set", "dev", "--allow-kind", "clusterrole")
    assert bad.code == 1 and "allowed kind 'clusterrole' is not valid" in bad.err
    bad = dev("env", "set", "dev", "--impersonate", "system:serviceaccount:shop")
    assert bad.code == 1 and "a service account is system:serviceaccount:NAMESPACE:NAME" in bad.err
    audit = dev("audit", "list", "-o", "json")
    assert audit.code == 0 and "environment.boundary" in audit.out


def test_the_boundary_through_the_api_is_for_admins_and_audited(api: Api) -> None:
    body = {
        "allowedNamespaces": ["teamb"],
        "allowedKinds": ["ClusterRole"],
        "impersonate": "system:serviceaccount:ns-dev:deployer",
    }
    assert api.put("/api/v1/environments/dev/boundary", body, user="dana").status_code == 403
    done = api.put("/api/v1/environments/dev/boundary", body)
    assert done.status_code == 200, done.text
    assert (done.json()["allowedNamespaces"], done.json()["allowedKinds"]) == (
        ["teamb"],
        ["ClusterRole"],
    )
    # Fields left out are kept; an explicit null stops impersonating.
    kept = api.put("/api/v1/environments/dev/boundary", {"shared": True}).json()
    assert kept["impersonate"] == "system:serviceaccount:ns-dev:deployer" and kept["shared"]
    off = api.put("/api/v1/environments/dev/boundary", {"impersonate": None}).json()
    assert off["impersonate"] is None and off["allowedNamespaces"] == ["teamb"]
    assert [e["details"]["allowedKinds"] for e in api.audit("environment.boundary")] == [
        ["ClusterRole"]
    ] * 3
    bad = api.put("/api/v1/environments/dev/boundary", {"allowedKinds": ["a b"]})
    assert bad.status_code == 422 and "is not valid" in bad.json()["error"]["message"]


def test_clone_through_the_api_needs_its_own_namespace(api: Api) -> None:
    refused = api.post("/api/v1/environments/dev/clone", {"name": "qa"})
    assert refused.status_code == 409
    assert "kapstan env clone dev qa --namespace NAMESPACE" in refused.json()["error"]["message"]
    made = api.post("/api/v1/environments/dev/clone", {"name": "qa", "namespace": "ns-qa"})
    assert made.status_code == 201 and made.json()["namespace"] == "ns-qa"


def test_create_takes_the_boundary_and_checks_it_first(kapstan: Run, tmp_path: Path) -> None:
    config = kubeconfig(tmp_path, "a")
    bad = kapstan(
        "env",
        "create",
        "qa",
        "--kubeconfig",
        config,
        "--namespace",
        "qa",
        "--allow-kind",
        "not a kind",
    )
    assert bad.code == 1 and "allowed kind 'not a kind' is not valid" in bad.err
    assert kapstan("env", "list", "-o", "json").json() == [], "nothing made"
    made = kapstan(
        "env",
        "create",
        "qa",
        "--kubeconfig",
        config,
        "--namespace",
        "qa",
        "--allow-namespace",
        "cache",
        "--allow-kind",
        "PriorityClass",
        "--impersonate",
        "system:serviceaccount:qa:deployer",
        "--shared",
    )
    assert made.code == 0, made.err
    shown = kapstan("env", "show", "qa", "-o", "json").json()
    assert (
        shown["allowedNamespaces"],
        shown["allowedKinds"],
        shown["impersonate"],
        shown["shared"],
    ) == (["cache"], ["PriorityClass"], "system:serviceaccount:qa:deployer", True)


def test_the_console_overview_shows_each_boundary(console: Console) -> None:
    console.api.put(
        "/api/v1/environments/dev/boundary",
        {"allowedNamespaces": ["cache"], "impersonate": "alice"},
    )
    page = console.get("/ui", "dana").text
    assert "<th>Boundary</th>" in page
    assert "as alice; also cache</td>" in page
    assert "kubeconfig's user</td>" in page  # staging: no impersonation
