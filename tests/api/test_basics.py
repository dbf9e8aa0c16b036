"""Probes, metrics, OpenAPI, authentication, JSON errors, body limits, unknown errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from kapstan.api.app import create_app
from kapstan.store.crypto import generate_key
from tests.api.conftest import Api


def test_probes_need_no_token(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert api.client.get("/openapi.json").status_code == 200


def test_metrics_expose_request_latency_by_route(api: Api) -> None:
    api.get("/api/v1/applications/shop")
    text = api.client.get("/metrics").text
    assert "kapstan_api_request_duration_seconds_bucket" in text
    assert 'route="/api/v1/applications/{app}"' in text
    assert "kapstan_operations_started_total" in text or "kapstan_operations_started" in text


def test_openapi_document_lists_routes_and_models(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in (
        "/api/v1/applications/{app}/deploy",
        "/api/v1/configs/{name}/values",
        "/api/v1/hooks/{app}",
        "/api/v1/login",
        "/api/v1/approvals/{approval_id}/approve",
    ):
        assert path in paths
    schemas = doc["components"]["schemas"]
    assert "dependsOn" in schemas["ServiceOut"]["properties"]
    assert "HTTPBearer" in doc["components"]["securitySchemes"]


def test_every_api_route_needs_a_token(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    open_paths = {"/api/v1/login", "/api/v1/hooks/{app}"}
    checked = 0
    for path, ops in doc["paths"].items():
        if not path.startswith("/api/") or path in open_paths:
            continue
        url = path.format(
            app="shop",
            name="dev",
            operation_id=1,
            approval_id=1,
            token_id=1,
            version=1,
            environment="dev",
            rollout_id=1,
        )
        for method in ops:
            response = api.client.request(method.upper(), url, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["type"] == "AuthError"
            assert "Bearer" in response.json()["error"]["message"]
            checked += 1
    assert checked > 40


def test_bad_token_is_401(api: Api) -> None:
    response = api.client.get("/api/v1/templates", headers={"Authorization": "Bearer kst_nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        "error": {"type": "AuthError", "message": "invalid or revoked token"}
    }


def test_errors_are_json_with_actionable_messages(api: Api) -> None:
    missing = api.get("/api/v1/applications/nope")
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "type": "NotFoundError",
        "message": "application 'nope' not found",
    }
    invalid = api.post("/api/v1/applications", {"name": "x"})
    assert invalid.status_code == 422
    assert "body.template: Field required" in invalid.json()["error"]["message"]
    conflict = api.post(
        "/api/v1/applications", {"name": "shop", "template": "shop", "environment": "dev"}
    )
    assert conflict.status_code == 409
    assert "exists already" in conflict.json()["error"]["message"]
    route = api.get("/api/v1/nothing-here")
    assert route.status_code == 404 and "/openapi.json" in route.json()["error"]["message"]


def test_bad_template_names_the_file(api: Api) -> None:
    body = {
        "name": "broken",
        "files": {"kapstan.yaml": "name: broken\nservices: {a: {manifests: [x.yaml]}}\n"},
    }
    response = api.post("/api/v1/templates", body)
    assert response.status_code == 422
    assert "x.yaml" in response.json()["error"]["message"]


def test_oversized_body_is_413(api: Api) -> None:
    big = {"values": {"k": "x" * (1024 * 1024 + 10)}}
    response = api.post("/api/v1/configs/dev/values", big)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "PayloadTooLarge"
    assert "1048576 bytes" in response.json()["error"]["message"]
    assert api.store.get_config("dev").version == 1


def test_chunked_body_over_the_limit_is_413(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    response = api.client.post(
        "/api/v1/configs/dev/values", content=chunks(), headers=api.auth("root")
    )
    assert response.status_code == 413


def test_unexpected_errors_are_a_generic_500(tmp_path: Path) -> None:
    def boom(app: FastAPI) -> None:
        router = APIRouter()

        @router.get("/boom")
        def fail() -> None:
            raise RuntimeError("internal detail /etc/secret-path")

        app.include_router(router)

    app = create_app(
        str(tmp_path / "k.db"), environ={"KAPSTAN_SECRET_KEY": generate_key()}, extras=[boom]
    )
    with TestClient(app) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "InternalError"
    assert "secret-path" not in response.text and "Traceback" not in response.text
