"""The console's plan shows conflicts with their owner; its deploy form can adopt (audited)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan import sandbox
from kapstan.model.operation import Operation, Step
from tests.api.conftest import open_api
from tests.ownership.conftest import Kubectl, kubectl
from tests.web.conftest import Console

__all__ = ["kubectl"]

pytestmark = pytest.mark.cluster

FOREIGN_WEB = """\
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
"""


@pytest.fixture
def live(sandbox_cluster: sandbox.SandboxState, tmp_path: Path) -> Iterator[tuple[Console, str]]:
    namespace = f"own-{uuid.uuid4().hex[:8]}"
    for api in open_api(str(tmp_path / "kapstan.db"), tmp_path):
        api.client.cookies.clear()
        api.store.create_environment(
            "live",
            kubeconfig=str(sandbox_cluster.kubeconfig),
            context=None,
            namespace=namespace,
            config="dev",
        )
        api.store.grant_role("dana", "live", "deployer")
        created = api.post(
            "/api/v1/applications", {"name": "store1", "template": "shop", "environment": "live"}
        )
        assert created.status_code == 201, created.text
        yield Console(api), namespace


def finished(console: Console, location: str) -> Operation:
    operation_id = int(location.rstrip("/").rsplit("/", 1)[-1])
    deadline = time.monotonic() + 180
    while (op := console.api.store.get_operation(operation_id)).finished_at is None:
        assert time.monotonic() < deadline, "the deploy did not finish"
        time.sleep(0.5)
    return op


def test_plan_page_names_the_owner_and_the_form_adopts(
    live: tuple[Console, str], kubectl: Kubectl
) -> None:
    console, ns = live
    kubectl("create", "namespace", ns)
    kubectl("apply", "-f", "-", input=FOREIGN_WEB.format(ns=ns))
    message = (
        f"Deployment {ns}/web was created by kubectl-client-side-apply, not Kapstan: "
        "pass --adopt to take it over (audited)"
    )
    page = console.get("/ui/apps/store1/plan", "dana")
    assert page.status_code == 200, page.text
    assert '<span class="pill conflict">conflict</span>' in page.text
    assert message in page.text
    assert 'name="adopt"' in page.text

    refused = console.post("/ui/apps/store1/deploy", "dana", {"service": "", "message": ""})
    assert refused.status_code == 303, refused.text
    op = finished(console, refused.headers["location"])
    assert op.status is Step.FAILED and message in op.message

    adopted = console.post("/ui/apps/store1/deploy", "dana", {"adopt": "1"})
    op = finished(console, adopted.headers["location"])
    assert op.status is Step.SUCCEEDED, op.message
    entries = console.api.audit("app.adopt")
    assert [(e["actor"], e["details"]["objects"]) for e in entries] == [
        ("dana", [f"Deployment {ns}/web (from kubectl-client-side-apply)"])
    ]
    page = console.get("/ui/apps/store1/plan", "dana")
    assert "pill conflict" not in page.text and 'name="adopt"' not in page.text
