"""Hostile YAML and JSON through the HTTP API: a 422 naming the fault, never a 500 (#12).

The alias bomb held the server for 40 s and was saved (finding 2); deeply nested
manifests raised RecursionError, a 500 (finding 8).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import Api
from tests.hostile import (
    alias_bomb_manifest,
    deep_flow,
    deep_manifest,
    row_counts,
    template_files,
)

DEEP = "nested more than 100 levels deep"


def _import(api: Api, files: dict[str, str], name: str = "hostile") -> tuple[int, str]:
    response = api.post("/api/v1/templates", {"name": name, "files": files})
    return response.status_code, response.json()["error"]["message"]


@pytest.mark.timeout(60)
def test_the_alias_bomb_is_refused_with_422_and_no_version_is_saved(
    api: Api, tmp_path: Path
) -> None:
    before = row_counts(tmp_path / "kapstan.db")
    status, message = _import(api, template_files(alias_bomb_manifest()))
    assert status == 422
    assert message.startswith("cm.yaml:") and "aliases (*name) expand this YAML" in message
    assert row_counts(tmp_path / "kapstan.db") == before
    assert api.get("/api/v1/templates/hostile").status_code == 404


@pytest.mark.parametrize(
    ("files", "says"),
    [
        (template_files(deep_manifest(2_000)), f"cm.yaml:7:108: {DEEP}"),  # was a 500
        (template_files(deep_manifest(200_000)), f"cm.yaml:7:108: {DEEP}"),  # crashed
        (
            template_files(deep_manifest(3), "name: hostile\nservices: {web: {manifests: 42}}\n"),
            "kapstan.yaml:2:29: service 'web' manifests must be",
        ),
        (
            template_files(deep_manifest(3), "name: hostile\nservices: {web: {manifests: true}}\n"),
            "kapstan.yaml:2:29: service 'web' manifests must be",
        ),
        (
            template_files(
                deep_manifest(3),
                "name: hostile\nservices: {web: {manifests: [cm.yaml]}}\n"
                f"config: {{a: {'{b: ' * 1_000}1{'}' * 1_000}}}\n",
            ),
            f"kapstan.yaml:3:{9 + 4 * 99}: {DEEP}",
        ),
    ],
)
def test_a_bad_shape_or_depth_is_a_422_naming_the_file(
    api: Api, tmp_path: Path, files: dict[str, str], says: str
) -> None:
    before = row_counts(tmp_path / "kapstan.db")
    status, message = _import(api, files)
    assert (status, message[: len(says)]) == (422, says)
    assert row_counts(tmp_path / "kapstan.db") == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/configs/dev/values", '{"values": {"a": %s}}'),
        ("POST", "/api/v1/templates", '{"name": "t", "files": %s}'),
        ("POST", "/api/v1/environments", '{"name": "e", "namespace": %s}'),
        ("POST", "/api/v1/applications/shop/deploy", '{"services": %s}'),
        ("POST", "/api/v1/hooks/shop", '{"set": %s}'),
    ],
)
def test_a_json_body_nested_too_deep_is_a_422_before_any_handler(
    api: Api, tmp_path: Path, method: str, path: str, body: str
) -> None:
    before = row_counts(tmp_path / "kapstan.db")
    response = api.client.request(
        method,
        path,
        content=(body % deep_flow(20_000)).encode(),  # 40 KB: under every size limit
        headers={**api.auth("root"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert "nests arrays and objects more than 100 levels deep" in response.text
    assert row_counts(tmp_path / "kapstan.db") == before


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_a_deep_body_of_another_or_no_type_is_refused_too(
    api: Api, content_type: str | None
) -> None:
    """The webhook parses its body as JSON whatever its type; FastAPI does without one."""
    headers = api.auth("root") | ({"Content-Type": content_type} if content_type else {})
    body = ('{"set": ' + deep_flow(20_000) + "}").encode()
    response = api.client.post("/api/v1/hooks/shop", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert "nests arrays and objects more than 100 levels deep" in response.text


def test_a_json_body_within_the_depth_limit_reaches_its_handler(api: Api) -> None:
    body = '{"values": {"a": %s}}'
    response = api.client.post(
        "/api/v1/configs/dev/values",
        content=(body % deep_flow(98)).encode(),
        headers={**api.auth("root"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422  # pydantic: a config value is a scalar
    assert "nests arrays" not in response.text
