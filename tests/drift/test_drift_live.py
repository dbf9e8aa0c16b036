"""Drift on the sandbox (issue 14): one application deployed once, then edited by hand.

The module deploys ``shop`` (a Deployment and the Secret Kapstan makes for its secret
variable), then changes it the ways people and controllers do, with the real ``kubectl``:

    kubectl edit          the container image                              -> drift
    kubectl patch         the Secret's value                               -> drift, redacted
    a controller          spec.replicas through the scale subresource,
                          under its own field manager (as an HPA does)     -> not drift

One check (the action, as ``app drift`` and the API run it) is shared by the assertions;
the last test turns self-heal on and lets the server's periodic checker heal it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kapstan import sandbox
from kapstan.actions import environments
from kapstan.actions.applications import create_app
from kapstan.actions.deploying import deploy_app
from kapstan.actions.drift import HEAL_AUDIT, HEALER, DriftReport, check_drift
from kapstan.actions.refs import Ref
from kapstan.actions.templates import save_files
from kapstan.api.app import create_app as create_api
from kapstan.api.driftchecks import INTERVAL_VARIABLE
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.main import main
from kapstan.engine.deploy import DeployOptions
from kapstan.kube import connect
from kapstan.model.operation import Step
from kapstan.model.values import SecretValue
from kapstan.store import Store
from kapstan.store.crypto import KEY_VARIABLE, generate_key

pytestmark = pytest.mark.cluster

SECRET = "orig-pw-D4R1FT"
EDITED = "by-hand-pw-K7"
TEMPLATE = {
    "kapstan.yaml": (
        "name: shop\n"
        "services:\n"
        "  web:\n"
        "    manifests: [web.yaml]\n"
        "    env: [{db.password: DB_PASSWORD}]\n"
    ),
    "web.yaml": (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {name: web}\n"
        "spec:\n"
        "  replicas: 1\n"
        "  selector: {matchLabels: {app: web}}\n"
        "  template:\n"
        "    metadata: {labels: {app: web}}\n"
        "    spec:\n"
        '      containers: [{name: web, image: "shop/web:1.0"}]\n'
    ),
}
GET_SECRET_NAME = (
    "get",
    "secret",
    "-l",
    "kapstan.io/app=shop",
    "-o",
    "jsonpath={.items[0].metadata.name}",
)
# As an HPA does: through the scale subresource, under a field manager of its own.
SCALE_AS_A_CONTROLLER = (
    "patch",
    "deployment/web",
    "--subresource=scale",
    "--type=merge",
    "-p",
    '{"spec":{"replicas":3}}',
    "--field-manager=hpa-like",
)
SECRET_PATCH = json.dumps({"stringData": {"db.password": EDITED}})
IMAGE_PATH = "Deployment/web: spec.template.spec.containers[name=web].image"


@dataclass
class Shop:
    store: Store
    url: str
    key: str
    namespace: str
    kubeconfig: Path
    secret: str  # the name of the Secret Kapstan made for db.password
    report: DriftReport  # the check made after the edits


def kubectl(state: sandbox.SandboxState, *args: str, editor: str | None = None) -> str:
    env = {**os.environ, "KUBECONFIG": str(state.kubeconfig)}
    if editor is not None:
        env["KUBE_EDITOR"] = editor
    done = subprocess.run(
        [str(sandbox.ensure_binaries().kubectl), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def shop(
    sandbox_cluster: sandbox.SandboxState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shop]:
    where = tmp_path_factory.mktemp("drift")
    url, key = f"sqlite:///{where / 'k.db'}", generate_key()
    namespace = f"drift-{uuid.uuid4().hex[:8]}"
    with Store.open(url, environ={KEY_VARIABLE: key}) as store:
        store.create_config("shop", {"db.password": SecretValue(SECRET)}, author="t")
        store.create_environment(
            "dev",
            kubeconfig=str(sandbox_cluster.kubeconfig),
            context=None,
            namespace=namespace,
            config="shop",
        )
        save_files(store, TEMPLATE, author="t")
        create_app(store, "shop", template=Ref("shop"), environment="dev", author="t")
        deployed = deploy_app(store, "shop", author="t", options=DeployOptions(timeout=120))
        assert deployed.outcome.ok, deployed.operation
        secret = kubectl(sandbox_cluster, *GET_SECRET_NAME, "-n", namespace)
        in_sync = check_drift(store, "shop")
        assert not in_sync.drifted, in_sync
        # A person edits the image; a controller scales through the scale subresource under
        # its own field manager; a person patches the Secret's value.
        editor = where / "editor.sh"
        editor.write_text("#!/bin/sh\nsed -i 's#shop/web:1.0#shop/web:edited#' \"$1\"\n")
        editor.chmod(0o755)
        kubectl(sandbox_cluster, "edit", "deployment/web", "-n", namespace, editor=str(editor))
        kubectl(sandbox_cluster, *SCALE_AS_A_CONTROLLER, "-n", namespace)
        edit_secret = ["patch", f"secret/{secret}", "--type=merge", "-p", SECRET_PATCH]
        kubectl(sandbox_cluster, *edit_secret, "-n", namespace)
        report = check_drift(store, "shop")
        yield Shop(store, url, key, namespace, sandbox_cluster.kubeconfig, secret, report)


def test_a_kubectl_edit_is_drift_with_its_field_and_diff(shop: Shop) -> None:
    (web,) = shop.report.services
    assert web.drifted and web.revision == 1
    assert IMAGE_PATH in web.fields
    changed = [line.split() for line in web.diff.splitlines() if "image:" in line]
    assert changed == [["-", "image:", "shop/web:edited"], ["+", "image:", "shop/web:1.0"]], (
        web.diff
    )


def test_a_field_another_manager_owns_is_not_drift(shop: Shop) -> None:
    (web,) = shop.report.services
    assert not [f for f in web.fields if "replicas" in f], web.fields
    assert "replicas" not in web.diff


def test_a_drifted_secret_is_reported_redacted(shop: Shop) -> None:
    (web,) = shop.report.services
    assert f"Secret/{shop.secret}: data.db.password" in web.fields
    assert "<redacted> (changed)" in web.diff
    recorded = shop.store.list_drift("shop")
    shown = web.diff + "".join(d.diff + " ".join(d.fields) for d in recorded)
    for value in (SECRET, EDITED):
        assert value not in shown
        assert base64.b64encode(value.encode()).decode() not in shown


def test_app_drift_exits_2_and_app_status_shows_it(
    shop: Shop, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, shop.key)
    capsys.readouterr()
    code = main(["--db", shop.url, "app", "drift", "shop", "-o", "json"])
    out = capsys.readouterr().out
    assert code == ExitCode.CHANGES, out
    assert IMAGE_PATH in out and EDITED not in out and SECRET not in out
    (recorded,) = shop.store.list_drift("shop")
    assert recorded.drifted and IMAGE_PATH in recorded.fields
    main(["--db", shop.url, "app", "status", "shop", "-o", "json"])
    (status,) = json.loads(capsys.readouterr().out)
    assert status["drifted"] is True  # app status shows the last check


def test_self_heal_the_server_heals_drift_and_audits_it(shop: Shop) -> None:
    environments.set_self_heal(shop.store, "dev", True, author="t", via="test")
    shop.store.create_user("root", password=None, admin=True)
    token = {"Authorization": f"Bearer {shop.store.create_token('root')[0]}"}
    api = create_api(shop.url, environ={KEY_VARIABLE: shop.key, INTERVAL_VARIABLE: "3600"})
    with TestClient(api) as client:
        checker = api.state.kapstan.drift
        assert checker is not None
        checker.wake()  # the first round now, not in an hour
        assert checker.wait_rounds(1, timeout=180)
        shown = client.get("/api/v1/applications/shop/drift", headers=token).json()
        rechecked = client.post("/api/v1/applications/shop/drift", headers=token).json()
        metrics = client.get("/metrics").text
    (entry,) = [e for e in shop.store.list_audit() if e.action == HEAL_AUDIT]
    assert entry.actor == HEALER and entry.details["services"] == ["web"]
    assert IMAGE_PATH in " ".join(entry.details["fields"])
    operation = shop.store.get_operation(entry.details["operation"])
    assert operation.status is Step.SUCCEEDED and operation.author == HEALER
    healed = shop.store.get_revision("shop", "web", 2)
    assert healed.author == HEALER and healed.message.startswith("self-heal: live state drifted")
    (web,) = shown["services"]
    assert web["drifted"] and web["healedBy"] == operation.id and shown["selfHeal"] is True
    with connect(str(shop.kubeconfig)) as kube:
        live = kube.get("apps/v1", "Deployment", "web", shop.namespace)
    assert live is not None
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/web:1.0"
    assert rechecked["drifted"] is False, rechecked
    assert 'kapstan_application_drifted{application="shop",environment="dev"} 0.0' in metrics
    assert (
        'kapstan_service_replicas_desired{application="shop",environment="dev",service="web"}'
        in metrics
    )
    assert (
        'kapstan_application_last_operation_success{application="shop",environment="dev",'
        'kind="deploy",status="succeeded"} 1.0'
    ) in metrics
