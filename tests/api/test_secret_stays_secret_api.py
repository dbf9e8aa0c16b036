"""A secret key stays secret through the API and the CI webhook (issue 12, #6): a plain
value sent for it is stored encrypted (read from the raw row); ``"plain": true`` makes it
plain, and that is audited."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import Api
from tests.api.test_hooks import secret_for, send
from tests.rawconfig import assert_encrypted, latest_raw

NEW = "sent-plain-by-mistake-W3"


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kapstan.db'}"


def test_api_set_without_secret_keeps_a_secret_key_encrypted(api: Api, tmp_path: Path) -> None:
    answer = api.post("/api/v1/configs/dev/values", {"values": {"db.password": NEW}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["keptSecret"] == ["db.password"] and answer.json()["madePlain"] == []
    assert_encrypted(latest_raw(_url(tmp_path), "dev", "db.password"), NEW)
    replaced = api.post(
        "/api/v1/configs/dev/values",
        {"values": {"db.password": f"{NEW}-2", "api.replicas": 1}, "replace": True},
    )
    assert replaced.status_code == 200, replaced.text
    assert_encrypted(latest_raw(_url(tmp_path), "dev", "db.password"), f"{NEW}-2")
    (entry, _) = api.audit("config.set")
    assert entry["details"]["keptSecret"] == ["db.password"]
    assert "db.password" in api.get("/api/v1/configs/dev").json()["secretKeys"]


def test_api_plain_makes_a_secret_key_plain_and_is_audited(api: Api, tmp_path: Path) -> None:
    both = api.post(
        "/api/v1/configs/dev/values",
        {"values": {"db.password": "x"}, "secret": True, "plain": True},
    )
    assert both.status_code == 422 and "plain" in both.json()["error"]["message"]
    made = api.post(
        "/api/v1/configs/dev/values", {"values": {"db.password": "now-plain"}, "plain": True}
    )
    assert made.status_code == 200 and made.json()["madePlain"] == ["db.password"]
    raw = latest_raw(_url(tmp_path), "dev", "db.password")
    assert not raw.secret and raw.value_json == '"now-plain"'
    (plain,) = api.audit("config.plain")
    assert (plain["actor"], plain["name"], plain["details"]) == (
        "root",
        "dev",
        {"keys": ["db.password"]},
    )
    assert api.audit("config.set")[0]["details"]["madePlain"] == ["db.password"]


def test_webhook_setting_a_secret_key_keeps_it_encrypted(api: Api, tmp_path: Path) -> None:
    secret = secret_for(api)
    answer = send(api, secret, {"set": {"db.password": NEW}})
    assert answer.status_code == 200, answer.text
    raw = latest_raw(_url(tmp_path), "dev", "db.password")
    assert raw.version == answer.json()["config"]["version"]
    assert_encrypted(raw, NEW)
    assert NEW not in answer.text
    (entry,) = api.audit("webhook.accept")
    assert entry["details"]["keptSecret"] == ["db.password"]
