"""The API shows checksums of a weak secret keyed by the store's key (issue 12, #3): the
render endpoint; on the sandbox, the live Deployment's annotations, the plan and history."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan import sandbox
from kapstan.actions.rendering import render_application
from kapstan.kube import connect
from kapstan.render.labels import HASH_ANNOTATION
from tests.api.conftest import Api, open_api
from tests.secretdigests import checksums, unkeyed_digests

WEAK = "hunter2"


def set_weak_secret(api: Api, app: str) -> None:
    body = {"values": {"db.password": WEAK}, "secret": True}
    assert api.post("/api/v1/configs/dev/values", body).status_code == 200
    assert api.patch(f"/api/v1/applications/{app}", {}).status_code == 200


def weak_guesses(api: Api, app: str, service: str = "api") -> set[str]:
    """Unkeyed digests of the weak secret for ``service`` as rendered now."""
    objects = render_application(api.store, app).rendered.services[service].objects
    return unkeyed_digests(WEAK, objects, app, service)


def test_render_endpoint_shows_no_unkeyed_digest_of_a_weak_secret(api: Api) -> None:
    set_weak_secret(api, "shop")
    answer = api.get("/api/v1/applications/shop/render")
    assert answer.status_code == 200, answer.text
    (entry,) = [e for e in answer.json() if e["service"] == "api"]
    guesses = weak_guesses(api, "shop")
    found = checksums(entry["objects"])
    assert found and not guesses & {entry["hash"], *found}
    assert not [g for g in guesses if g in answer.text]


@pytest.fixture
def live(sandbox_cluster: sandbox.SandboxState, tmp_path: Path) -> Iterator[Api]:
    """App "web" (template shop, config dev) in a fresh namespace of the sandbox."""
    for api in open_api(str(tmp_path / "kapstan.db"), tmp_path):
        body = {
            "name": "live",
            "kubeconfig": str(sandbox_cluster.kubeconfig),
            "namespace": f"keyed-{uuid.uuid4().hex[:8]}",
            "config": "dev",
        }
        assert api.post("/api/v1/environments", body).status_code == 201
        created = api.post(
            "/api/v1/applications", {"name": "web", "template": "shop", "environment": "live"}
        )
        assert created.status_code == 201, created.text
        yield api


@pytest.mark.cluster
def test_live_deployment_and_plan_show_no_unkeyed_digest_of_a_weak_secret(
    live: Api, sandbox_cluster: sandbox.SandboxState
) -> None:
    set_weak_secret(live, "web")
    deployed = live.post(
        "/api/v1/applications/web/deploy",
        {"services": ["db", "api"], "timeout": 120},
        params={"wait": "true"},
    )
    assert deployed.json()["status"] == "succeeded", deployed.text
    guesses = weak_guesses(live, "web")
    namespace = live.store.get_environment("live").namespace
    with connect(sandbox_cluster.kubeconfig) as kube:
        deployment = kube.get("apps/v1", "Deployment", "api", namespace)
    assert deployment is not None
    annotations = deployment["metadata"].get("annotations", {})
    shown = {*checksums([deployment]), annotations.get(HASH_ANNOTATION)}
    plan = live.get("/api/v1/applications/web/plan")
    (api_plan,) = [p for p in plan.json()["services"] if p["service"] == "api"]
    shown.add(api_plan["contentHash"])
    history = live.get("/api/v1/applications/web/history", params={"service": "api"})
    assert len(checksums([deployment])) == 1 and None not in shown
    assert not guesses & shown
    assert not [g for g in guesses if g in plan.text + history.text]
