"""Kapstan never takes over what it does not own (finding 2 of issue 11), on the sandbox.

Another application's objects are refused, naming it and its environment; objects created
by someone else (kubectl here, the sandbox's real binary) are refused unless the deploy
says --adopt, which the audit log records. Refusals come before the first write.
"""

from __future__ import annotations

import pytest

from kapstan.actions import promote as promoting
from kapstan.actions.deploying import deploy_app, plan_app
from kapstan.actions.status import app_status
from kapstan.cli.main import main
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import ConflictError
from kapstan.kube import connect
from kapstan.model.health import HealthStatus
from kapstan.model.operation import Step
from tests.ownership.conftest import Kubectl, Shop

pytestmark = pytest.mark.cluster

OBJECTS = [
    ("apps/v1", "StatefulSet", "db"),
    ("v1", "Service", "db"),
    ("apps/v1", "Deployment", "api"),
    ("v1", "Service", "api"),
    ("apps/v1", "Deployment", "web"),
]


def add_second_app(shop: Shop, name: str) -> None:
    """Another application of the same template, in the same environment and namespace."""
    shop.store.create_config(name, {"api.db.host": "db"}, author="tester")
    shop.store.create_application(
        name,
        template="shop",
        template_version=shop.store.get_template("shop").version,
        environment="dev",
        config=name,
        config_version=None,
    )


def test_a_second_app_of_the_same_template_is_refused_naming_the_first(
    shop: Shop, kubectl: Kubectl
) -> None:
    assert deploy_app(shop.store, shop.app, author="alice").outcome.ok
    add_second_app(shop, "shop-b")
    ns = shop.namespace

    with pytest.raises(ConflictError) as refused:
        deploy_app(shop.store, "shop-b", author="bob")
    text = str(refused.value)
    conflicts = [c.message for p in plan_app(shop.store, "shop-b") for c in p.conflicts]
    api_message = (
        f"Deployment {ns}/api is owned by application shop (environment dev): Kapstan never "
        "takes over another application's objects; rename the object or delete that application"
    )
    assert api_message in conflicts
    assert len(conflicts) >= len(OBJECTS)
    assert text.startswith("not deploying: ") and "nothing was applied" in text
    assert all(message in text for message in conflicts)
    op = shop.store.latest_operation("shop-b")
    assert op is not None and op.status is Step.FAILED and op.message == text
    assert shop.store.list_revisions("shop-b") == []

    # Nothing was written: every object is still the first app's, at its first revision.
    with connect(shop.kubeconfig) as cluster:
        for api_version, kind, name in OBJECTS:
            live = cluster.get(api_version, kind, name, ns)
            assert live is not None
            assert live["metadata"]["labels"]["kapstan.io/app"] == "shop", (kind, name)
            notes = live["metadata"]["annotations"]
            assert notes["kapstan.io/revision"] == "1" and notes["kapstan.io/environment"] == "dev"
    # The first app still sees its own objects: healthy, and nothing to take back.
    assert [s.health.status for s in app_status(shop.store, shop.app)] == [HealthStatus.HEALTHY] * 3
    again = plan_app(shop.store, shop.app)
    assert [(p.action, p.conflicts) for p in again] == [("unchanged", [])] * 3
    # --adopt never covers another application's objects.
    with pytest.raises(ConflictError, match="owned by application shop"):
        deploy_app(
            shop.store,
            "shop-b",
            author="bob",
            options=DeployOptions(adopt=True),
        )

    # Were it taken over anyway (an older Kapstan relabelled it), the first app's status
    # says so instead of "healthy".
    kubectl("label", "--overwrite", "-n", ns, "deployment/api", "kapstan.io/app=shop-b")
    api = next(s for s in app_status(shop.store, shop.app) if s.service == "api")
    assert api.health.status is HealthStatus.FAILED
    assert api.health.message == (
        f"Deployment {ns}/api: not this application's, owned by application shop-b "
        "(environment dev)"
    )


def test_an_object_created_with_kubectl_is_refused_until_adopted(
    shop: Shop,
    kubectl: Kubectl,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ns = shop.namespace
    kubectl("create", "namespace", ns)
    kubectl(
        "apply",
        "-f",
        "-",
        input=f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: "nginx:1.27"}}]
""",
    )
    monkeypatch.setenv("KAPSTAN_DB", f"sqlite:///{shop.template_dir.parent / 'kapstan.db'}")
    monkeypatch.setenv("KAPSTAN_USER", "carol")
    message = (
        f"Deployment {ns}/web was created by kubectl-client-side-apply, not Kapstan: "
        "pass --adopt to take it over (audited)"
    )

    def kapstan(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = kapstan("app", "plan", shop.app)
    assert code == 0
    assert f"  conflict  {message}" in out.splitlines()

    code, _, err = kapstan("app", "deploy", shop.app, "--yes")
    assert code == 1 and message in err
    # Refused before the first write: not even the first wave was applied.
    with connect(shop.kubeconfig) as cluster:
        assert cluster.get("apps/v1", "StatefulSet", "db", ns) is None
        web = cluster.get("apps/v1", "Deployment", "web", ns)
        assert web is not None and "kapstan.io/app" not in (web["metadata"].get("labels") or {})
    web_status = next(s for s in app_status(shop.store, shop.app) if s.service == "web")
    assert web_status.health.message == (
        f"Deployment {ns}/web: not this application's, created by kubectl-client-side-apply"
    )
    # The engine refuses too, whoever calls it (the API, a trigger): recorded, not applied.
    with pytest.raises(ConflictError, match="created by kubectl-client-side-apply"):
        deploy_app(shop.store, shop.app, author="carol")

    code, out, err = kapstan("app", "deploy", shop.app, "--yes", "--adopt")
    assert code == 0, err
    with connect(shop.kubeconfig) as cluster:
        web = cluster.get("apps/v1", "Deployment", "web", ns)
        assert web is not None and web["metadata"]["labels"]["kapstan.io/app"] == "shop"
    audit = shop.store.list_audit(kind="application", name=shop.app)
    adopted = [e for e in audit if e.action == "app.adopt"]
    assert len(adopted) == 1 and adopted[0].actor == "carol"
    assert adopted[0].details["objects"] == [
        f"Deployment {ns}/web (from kubectl-client-side-apply)"
    ]
    op = shop.store.latest_operation(shop.app)
    assert op is not None and any(e.status == "adopted" for e in op.events)

    # Now it is ours: the next deploy needs no --adopt and finds nothing to do.
    code, out, err = kapstan("app", "deploy", shop.app, "--yes")
    assert code == 0, err
    assert [p.conflicts for p in plan_app(shop.store, shop.app)] == [[], [], []]


def test_a_promoted_copy_in_a_shared_namespace_is_refused_naming_the_original(shop: Shop) -> None:
    """``env clone`` + ``app promote --to`` over the same namespace (explicitly shared)."""
    assert deploy_app(shop.store, shop.app, author="alice").outcome.ok
    shop.store.create_config("staging", {"api.db.host": "db"}, author="tester")
    shop.store.create_environment(
        "staging",
        kubeconfig=str(shop.kubeconfig),
        context=None,
        namespace=shop.namespace,
        config="staging",
        shared=True,
    )
    done = promoting.promote(
        shop.store, promoting.plan_promotion(shop.store, shop.app, "staging", None), author="alice"
    )
    with pytest.raises(ConflictError) as refused:
        deploy_app(shop.store, done.application.name, author="alice")
    assert f"Deployment {shop.namespace}/api is owned by application shop (environment dev)" in str(
        refused.value
    )
    again = plan_app(shop.store, shop.app)
    assert [(p.action, p.conflicts) for p in again] == [("unchanged", [])] * 3
