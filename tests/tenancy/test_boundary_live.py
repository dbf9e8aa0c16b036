"""The tenancy boundary on the live sandbox (RBAC on): findings 1 and 8 of issue 11.

1. A deployer of one environment wrote into another team's namespace and bound itself to
   cluster-admin: now refused before anything is applied, every object named.
8. Credentials that are admin of one existing namespace only could not deploy (the
   Namespace was patched): now the Namespace is read, never patched.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan import sandbox
from kapstan.errors import ClusterUnknownKindError
from kapstan.kube import KubeClient, connect
from kapstan.kube import config as kubeconfigs
from kapstan.store import Store
from tests.api.conftest import Api, open_api
from tests.cli.conftest import Run

pytestmark = pytest.mark.cluster

TINY = {
    "kapstan.yaml": "name: tiny\nservices:\n  api:\n    manifests: [api.yaml]\n",
    "api.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "shop/api:1.0"}]
""",
}


def grab_files(teamb: str, home: str) -> dict[str, str]:
    """Finding 1's template: team B's Deployment replaced, a binding to cluster-admin."""
    return {
        "kapstan.yaml": "name: grab\nservices:\n  api:\n    manifests: [api.yaml, rbac.yaml]\n",
        "api.yaml": TINY["api.yaml"]
        .replace("{name: api}", f"{{name: api, namespace: {teamb}}}")
        .replace("shop/api:1.0", "evil/api:6.6.6"),
        "rbac.yaml": f"""\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: grab-{home}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
subjects: [{{kind: ServiceAccount, name: default, namespace: {home}}}]
""",
    }


def write_template(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def kube(sandbox_cluster: sandbox.SandboxState) -> Iterator[KubeClient]:
    with connect(sandbox_cluster.kubeconfig) as client:
        yield client


def namespace_admin(kube: KubeClient, namespace: str) -> str:
    """Namespace ``namespace`` with a service account ``deployer`` bound to ``admin`` there only."""
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "deployer", "namespace": namespace},
        }
    )
    kube.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "deployer-admin", "namespace": namespace},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": namespace}],
        }
    )
    return f"system:serviceaccount:{namespace}:deployer"


def token_kubeconfig(cluster: sandbox.SandboxState, namespace: str, path: Path) -> Path:
    """A kubeconfig whose only credential is a token of ``namespace``'s ``deployer``."""
    admin = kubeconfigs.load(cluster.kubeconfig, None)
    with kubeconfigs.raw_http(admin, 30) as http:
        answer = http.post(
            f"/api/v1/namespaces/{namespace}/serviceaccounts/deployer/token",
            json={
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {"expirationSeconds": 3600},
            },
        )
        answer.raise_for_status()
        token = answer.json()["status"]["token"]
    whole = yaml.safe_load(cluster.kubeconfig.read_text())
    whole["users"] = [{"name": "deployer", "user": {"token": token}}]
    whole["contexts"][0]["context"]["user"] = "deployer"
    path.write_text(yaml.safe_dump(whole))
    return path


def managers(obj: dict[str, Any] | None) -> set[str]:
    return {
        m.get("manager", "") for m in ((obj or {}).get("metadata") or {}).get("managedFields") or []
    }


def test_cli_deploy_into_kube_system_is_refused_and_writes_nothing(
    kapstan: Run,
    tmp_path: Path,
    sandbox_cluster: sandbox.SandboxState,
    kube: KubeClient,
    db_url: str,
) -> None:
    files = {
        **TINY,
        "api.yaml": TINY["api.yaml"].replace("{name: api}", "{name: api, namespace: kube-system}"),
    }
    namespace = unique("cli")
    assert kapstan("template", "import", write_template(tmp_path / "tiny", files)).code == 0
    assert (
        kapstan(
            "env",
            "create",
            "dev",
            "--kubeconfig",
            sandbox_cluster.kubeconfig,
            "--namespace",
            namespace,
        ).code
        == 0
    )
    assert kapstan("app", "create", "tiny", "--template", "tiny", "--env", "dev").code == 0
    expected = (
        'service api (api.yaml:1): Deployment kube-system/api is in namespace "kube-system", '
        "outside environment dev's namespace \"" + namespace + '"; an environment admin can '
        "allow it with kapstan env set dev --allow-namespace kube-system"
    )
    plan = kapstan("app", "plan", "tiny")
    assert plan.code == 1 and expected in plan.err
    deploy = kapstan("app", "deploy", "tiny", "--yes")
    assert deploy.code == 1
    assert "environment dev's boundary refuses 1 object(s) of application tiny" in deploy.err
    assert expected in deploy.err
    assert kube.get("apps/v1", "Deployment", "api", "kube-system") is None
    assert kube.get("v1", "Namespace", namespace) is None, "not even the namespace"
    with Store.open(db_url) as store:
        assert store.list_operations("tiny") == [], "refused before any operation"


@pytest.fixture
def team_b(kube: KubeClient) -> Iterator[str]:
    """Team B's namespace with its own Deployment api (image teamb/api:1)."""
    namespace = unique("teamb")
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    theirs = yaml.safe_load(TINY["api.yaml"].replace("shop/api:1.0", "teamb/api:1"))
    theirs["metadata"]["namespace"] = namespace
    kube.apply(theirs, field_manager="team-b")
    yield namespace
    kube.delete("v1", "Namespace", namespace)


def test_finding_1_a_deployer_of_one_environment_cannot_write_elsewhere_through_the_api(
    sandbox_cluster: sandbox.SandboxState, tmp_path: Path, kube: KubeClient, team_b: str
) -> None:
    home = unique("enva")
    for api in open_api(str(tmp_path / "kapstan.db"), tmp_path):
        body = {"name": "a", "kubeconfig": str(sandbox_cluster.kubeconfig), "namespace": home}
        assert api.post("/api/v1/environments", body).status_code == 201
        api.store.create_user("alex", password=None)
        api.store.grant_role("alex", "a", "deployer")
        api.tokens["alex"] = api.store.create_token("alex")[0]
        template = {"name": "grab", "files": grab_files(team_b, home), "message": "mine"}
        assert api.post("/api/v1/templates", template, user="alex").status_code == 201
        created = api.post(
            "/api/v1/applications",
            {"name": "grab", "template": "grab", "environment": "a"},
            user="alex",
        )
        assert created.status_code == 201, created.text
        deploy_refused(api, team_b, home)


def deploy_refused(api: Api, team_b: str, home: str) -> None:
    deploy = api.post("/api/v1/applications/grab/deploy", {}, user="alex")
    plan = api.get("/api/v1/applications/grab/plan", user="alex")
    for refused in (deploy, plan):
        assert refused.status_code == 422, refused.text
        message = refused.json()["error"]["message"]
        assert f"service api (api.yaml:1): Deployment {team_b}/api is in namespace" in message
        assert (
            f"service api (rbac.yaml:1): ClusterRoleBinding grab-{home} is cluster-scoped, and "
            "environment a does not allow the cluster-scoped kind "
            "rbac.authorization.k8s.io/ClusterRoleBinding; an environment admin can allow it "
            "with kapstan env set a --allow-kind rbac.authorization.k8s.io/ClusterRoleBinding"
        ) in message
    theirs = api_deployment(api, team_b)
    assert theirs["spec"]["template"]["spec"]["containers"][0]["image"] == "teamb/api:1"
    assert "kapstan" not in managers(theirs)
    assert api.get("/api/v1/applications/grab/operations", user="alex").json()["items"] == []


def api_deployment(api: Api, namespace: str) -> dict[str, Any]:
    env = api.store.get_environment("a")
    with connect(env.kubeconfig) as kube:
        found = kube.get("apps/v1", "Deployment", "api", namespace)
        assert found is not None
        assert (
            kube.get("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", f"grab-{env.namespace}")
            is None
        )
        return found


def test_finding_8_admin_of_one_namespace_deploys_without_touching_the_namespace(
    kapstan: Run, tmp_path: Path, sandbox_cluster: sandbox.SandboxState, kube: KubeClient
) -> None:
    namespace = unique("ns8")
    namespace_admin(kube, namespace)
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": namespace, "labels": {"owner": "platform-team"}},
        },
        field_manager="platform",
    )
    before = kube.get("v1", "Namespace", namespace)
    creds = token_kubeconfig(sandbox_cluster, namespace, tmp_path / "deployer.kubeconfig")
    assert kapstan("template", "import", write_template(tmp_path / "tiny", TINY)).code == 0
    assert (
        kapstan("env", "create", "dev", "--kubeconfig", creds, "--namespace", namespace).code == 0
    )
    assert kapstan("app", "create", "tiny", "--template", "tiny", "--env", "dev").code == 0
    deployed = kapstan("app", "deploy", "tiny", "--yes")
    assert deployed.code == 0, deployed.err
    assert "succeeded" in deployed.out
    after = kube.get("v1", "Namespace", namespace)
    assert after is not None and before is not None
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert "kapstan" not in managers(after)
    shown = kapstan("env", "show", "dev", "-o", "json").json()
    assert shown["namespaceCreated"] is False
    kube.delete("v1", "Namespace", namespace)


def test_impersonation_lets_the_cluster_bound_each_deploy(
    kapstan: Run, tmp_path: Path, sandbox_cluster: sandbox.SandboxState, kube: KubeClient
) -> None:
    namespace = unique("imp")
    identity = namespace_admin(kube, namespace)
    assert kapstan("template", "import", write_template(tmp_path / "tiny", TINY)).code == 0
    assert (
        kapstan(
            "env",
            "create",
            "dev",
            "--kubeconfig",
            sandbox_cluster.kubeconfig,
            "--namespace",
            namespace,
            "--impersonate",
            identity,
        ).code
        == 0
    )
    assert kapstan("app", "create", "tiny", "--template", "tiny", "--env", "dev").code == 0
    deployed = kapstan("app", "deploy", "tiny", "--yes")
    assert deployed.code == 0, deployed.err
    assert "kapstan" not in managers(kube.get("v1", "Namespace", namespace))
    status = kapstan("app", "status", "tiny", "-o", "json")
    assert status.code == 0 and status.json()[0]["health"] == "healthy"

    # The environment allows the kind; the cluster's RBAC for the identity still refuses it.
    files = grab_files(namespace, namespace)
    files["api.yaml"] = TINY["api.yaml"].replace("{name: api}", "{name: api2}")
    files["kapstan.yaml"] = files["kapstan.yaml"].replace("grab", "bind")
    assert kapstan("template", "import", write_template(tmp_path / "bind", files)).code == 0
    assert kapstan("env", "set", "dev", "--allow-kind", "ClusterRoleBinding").code == 0
    assert kapstan("app", "create", "bind", "--template", "bind", "--env", "dev").code == 0
    refused = kapstan("app", "deploy", "bind", "--yes")
    assert refused.code == 1
    assert f"ClusterRoleBinding grab-{namespace}" in refused.err
    assert f"the cluster refused this as {identity}:" in refused.err
    assert "(HTTP 403)" in refused.err
    crb = kube.get("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", f"grab-{namespace}")
    assert crb is None
    kube.delete("v1", "Namespace", namespace)


def test_a_missing_namespace_is_created_and_recorded_unless_shared(
    kapstan: Run, tmp_path: Path, sandbox_cluster: sandbox.SandboxState, kube: KubeClient
) -> None:
    created, shared = unique("new"), unique("shared")
    assert kapstan("template", "import", write_template(tmp_path / "tiny", TINY)).code == 0
    for env, namespace, flags in (("dev", created, ()), ("qa", shared, ("--shared",))):
        assert (
            kapstan(
                "env",
                "create",
                env,
                "--kubeconfig",
                sandbox_cluster.kubeconfig,
                "--namespace",
                namespace,
                *flags,
            ).code
            == 0
        )
        assert kapstan("app", "create", f"tiny-{env}", "--template", "tiny", "--env", env).code == 0
    assert kapstan("app", "deploy", "tiny-dev", "--yes").code == 0
    assert kube.get("v1", "Namespace", created) is not None
    assert kapstan("env", "show", "dev", "-o", "json").json()["namespaceCreated"] is True
    refused = kapstan("app", "deploy", "tiny-qa", "--yes")
    assert refused.code == 1
    assert (
        f"Namespace {shared} does not exist, and environment qa is shared, so Kapstan does not "
        "create it: ask a cluster admin to create it, then deploy again"
    ) in refused.err
    assert kube.get("v1", "Namespace", shared) is None
    kube.delete("v1", "Namespace", created)


@pytest.fixture
def cluster_scoped_crd(kube: KubeClient) -> Iterator[str]:
    """A custom kind the static list cannot know: Widget, cluster-scoped."""
    group = f"{unique('h1')}.example.io"
    kube.apply(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": f"widgets.{group}"},
            "spec": {
                "group": group,
                "scope": "Cluster",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            }
                        },
                    }
                ],
            },
        }
    )
    for _ in range(100):  # until discovery serves it (bounded by attempts, not by time)
        try:
            kube.kind(f"{group}/v1", "Widget")
            break
        except ClusterUnknownKindError:
            time.sleep(0.2)
    yield group
    kube.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"widgets.{group}")


def test_a_custom_kind_is_judged_by_the_clusters_discovery(
    kapstan: Run, tmp_path: Path, sandbox_cluster: sandbox.SandboxState, cluster_scoped_crd: str
) -> None:
    group = cluster_scoped_crd
    files = {
        "kapstan.yaml": "name: w\nservices:\n  w:\n    manifests: [w.yaml]\n",
        "w.yaml": f"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: w1}}\n",
    }
    assert kapstan("template", "import", write_template(tmp_path / "w", files)).code == 0
    assert (
        kapstan(
            "env",
            "create",
            "dev",
            "--kubeconfig",
            sandbox_cluster.kubeconfig,
            "--namespace",
            unique("w"),
        ).code
        == 0
    )
    assert kapstan("app", "create", "w", "--template", "w", "--env", "dev").code == 0
    refused = kapstan("app", "plan", "w")
    assert refused.code == 1
    assert (
        f"service w (w.yaml:1): Widget w1 is cluster-scoped, and environment dev does not allow "
        f"the cluster-scoped kind {group}/Widget"
    ) in refused.err
    assert kapstan("env", "set", "dev", "--allow-kind", f"{group}/Widget").code == 0
    assert kapstan("app", "plan", "w").code == 0
