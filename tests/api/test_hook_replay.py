"""Webhook replay: the signature covers timestamp, nonce, method, path and body, and a body
accepted once is refused again within the window, whatever its nonce (issue 12, finding 1)."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import UTC, datetime

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapstan.api.flows import hooks
from kapstan.errors import AuthError
from tests.api.conftest import Api
from tests.api.test_hooks import secret_for


def signed(secret: str, body: object, app: str = "shop") -> tuple[str, dict[str, str], bytes]:
    """(url, headers, body) of a request a CI signed: what an attacker may capture."""
    data = json.dumps(body).encode()
    url, stamp, nonce = f"/api/v1/hooks/{app}", str(int(time.time())), uuid.uuid4().hex
    headers = {
        "Content-Type": "application/json",
        "X-Kapstan-Timestamp": stamp,
        "X-Kapstan-Nonce": nonce,
        "X-Kapstan-Signature": hooks.sign(secret, stamp, nonce, "POST", url, data),
    }
    return url, headers, data


def post(api: Api, url: str, headers: dict[str, str], data: bytes) -> httpx2.Response:
    return api.client.post(url, content=data, headers=headers)


def tag(api: Api) -> object:
    return api.store.get_config("dev").values["api.image.tag"]


def test_a_captured_request_resent_with_a_fresh_nonce_is_refused(api: Api) -> None:
    secret = secret_for(api)
    old = signed(secret, {"set": {"api.image.tag": "1.0-vulnerable"}})
    assert post(api, *old).status_code == 200
    assert post(api, *signed(secret, {"set": {"api.image.tag": "1.1-fixed"}})).status_code == 200
    url, headers, data = old
    replay = post(api, url, {**headers, "X-Kapstan-Nonce": uuid.uuid4().hex}, data)
    assert replay.status_code == 401, replay.text
    assert "signature does not match" in replay.json()["error"]["message"]
    assert tag(api) == "1.1-fixed"


def test_a_body_accepted_once_is_refused_again_whatever_its_nonce(api: Api) -> None:
    secret = secret_for(api)
    body = {"set": {"api.image.tag": "2.0"}}
    assert post(api, *signed(secret, body)).status_code == 200
    again = post(api, *signed(secret, body))  # correctly signed, fresh nonce, same body
    assert again.status_code == 409, again.text
    assert "body was accepted already" in again.json()["error"]["message"]
    api.state.nonces._seen.clear()  # a restarted server (or another replica) knows only the audit
    assert post(api, *signed(secret, body)).status_code == 409
    other = post(api, *signed(secret, {**body, "message": "rebuild"}))
    assert other.status_code == 200, other.text
    (first, _) = sorted(api.audit("webhook.accept"), key=lambda e: e["id"])
    digest = first["details"]["bodyDigest"]
    assert digest and digest != hashlib.sha256(json.dumps(body).encode()).hexdigest()


def test_a_request_sent_to_another_path_is_refused(api: Api) -> None:
    # Two apps on one config share its webhook secret: a request for one must not work
    # for the other.
    made = api.post(
        "/api/v1/applications", {"name": "twin", "template": "shop", "environment": "dev"}
    )
    assert made.status_code == 201, made.text
    assert api.get("/api/v1/applications/twin").json()["config"] == "dev"
    secret = secret_for(api)
    _, headers, data = signed(secret, {"set": {"api.image.tag": "3.0"}})
    moved = post(api, "/api/v1/hooks/twin", headers, data)
    assert moved.status_code == 401, moved.text
    assert "api.image.tag" not in api.store.get_config("dev").values


NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
STAMP = str(int(NOW.timestamp()))
PATH = "/api/v1/hooks/shop"
BODY = b'{"set": {"api.image.tag": "4.0"}}'
PARTS = ("timestamp", "nonce", "method", "path", "body")


def _check(secret: str, parts: dict[str, object]) -> hooks.Signed:
    headers = {
        "x-kapstan-timestamp": str(parts["timestamp"]),
        "x-kapstan-nonce": str(parts["nonce"]),
        "x-kapstan-signature": str(parts["signature"]),
    }
    request = (str(parts["method"]), str(parts["path"]))
    body = parts["body"]
    assert isinstance(body, bytes)
    return hooks.check_signature(secret, request, headers, body, NOW)


def _mutated(part: str, value: object, data: st.DataObject) -> object:
    if part == "body":
        assert isinstance(value, bytes)
        at = data.draw(st.integers(0, len(value) - 1))
        flip = data.draw(st.integers(1, 255))
        return value[:at] + bytes([value[at] ^ flip]) + value[at + 1 :]
    if part == "timestamp":  # still fresh: only the signature can refuse it
        return str(int(NOW.timestamp()) + data.draw(st.integers(-299, 299).filter(bool)))
    if part == "method":
        return data.draw(st.sampled_from(["GET", "PUT", "PATCH", "DELETE"]))
    alphabet = st.characters(min_codepoint=33, max_codepoint=126)
    return data.draw(st.text(alphabet, min_size=1, max_size=40).filter(lambda t: t != value))


@settings(max_examples=50, deadline=None)
@given(part=st.sampled_from(PARTS), data=st.data())
def test_changing_any_one_signed_part_is_refused(part: str, data: st.DataObject) -> None:
    secret = "s3cret-for-the-test"
    parts: dict[str, object] = {
        "timestamp": STAMP,
        "nonce": "n-1",
        "method": "POST",
        "path": PATH,
        "body": BODY,
    }
    parts["signature"] = hooks.sign(secret, STAMP, "n-1", "POST", PATH, BODY)
    assert _check(secret, parts).nonce == "n-1"  # the unchanged request passes
    changed = {**parts, part: _mutated(part, parts[part], data)}
    with pytest.raises(AuthError, match="signature does not match"):
        _check(secret, changed)
