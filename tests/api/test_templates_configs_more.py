"""The endpoints the CLI needs through a server: a template version's files, a config
replaced whole in one version, a config rolled back; each checked, audited, all or nothing."""

from __future__ import annotations

from typing import Any

from tests.api import samples
from tests.api.conftest import Api


def _versions(api: Api, name: str) -> list[int]:
    return [v.version for v in api.store.config_history(name)]


def test_a_template_versions_files_as_an_import_sends_them(api: Api) -> None:
    changed = samples.template_body(**{"web.yaml": samples.WEB_YAML + "# v2\n"})
    assert api.post("/api/v1/templates", changed).status_code == 201
    latest = api.get("/api/v1/templates/shop/files", user="vic")  # any user reads templates
    assert latest.status_code == 200
    assert latest.json()["version"] == 2 and latest.json()["files"] == changed["files"]
    first = api.get("/api/v1/templates/shop/files", params={"version": 1}).json()
    assert first["files"] == samples.FILES and first["author"] == "root"
    same = api.post("/api/v1/templates", {**changed, "files": latest.json()["files"]})
    assert same.status_code == 200 and same.json()["created"] is False  # the content round-trips
    missing = api.get("/api/v1/templates/shop/files", params={"version": 9})
    assert missing.status_code == 404 and "shop" in missing.json()["error"]["message"]
    assert api.get("/api/v1/templates/nope/files").status_code == 404


def test_replace_makes_the_values_the_whole_config_in_one_version(api: Api) -> None:
    body = {"values": {"api.replicas": 4, "log.level": "debug"}, "replace": True, "message": "m"}
    written = api.post("/api/v1/configs/dev/values", body, user="dana")
    assert written.status_code == 200, written.text
    assert written.json()["version"]["version"] == 2 and written.json()["version"]["keys"] == 2
    latest = api.store.get_config("dev")
    assert dict(latest.values) == {"api.replicas": 4, "log.level": "debug"}
    assert (latest.author, latest.message) == ("dana", "m")
    again = api.post("/api/v1/configs/dev/values", body, user="dana")
    assert again.json()["created"] is False and _versions(api, "dev") == [1, 2]
    entry = api.audit("config.set")[0]
    assert entry["details"] == {
        "keys": ["api.replicas", "log.level"],
        "secret": False,
        "replace": True,
    }
    assert (entry["actor"], entry["fromVersion"], entry["toVersion"]) == ("dana", "1", "2")


def test_replace_creates_a_missing_config_and_empty_values_are_allowed(api: Api) -> None:
    made = api.post("/api/v1/configs/fresh/values", {"values": {"a": 1}, "replace": True})
    assert made.status_code == 200 and made.json()["version"]["version"] == 1
    emptied = api.post("/api/v1/configs/fresh/values", {"values": {}, "replace": True})
    assert emptied.json()["version"] == {**emptied.json()["version"], "version": 2, "keys": 0}
    assert dict(api.store.get_config("fresh").values) == {}


def test_setting_no_values_makes_an_empty_config_or_changes_nothing(api: Api) -> None:
    made = api.post("/api/v1/configs/blank/values", {"values": {}})
    assert made.status_code == 200 and made.json()["created"] is True
    assert made.json()["version"]["keys"] == 0
    same = api.post("/api/v1/configs/dev/values", {"values": {}})
    assert same.json()["created"] is False and _versions(api, "dev") == [1]
    nothing = api.post("/api/v1/configs/dev/values", {"message": "no values key"})
    assert nothing.status_code == 422 and "neither" in nothing.json()["error"]["message"]


def test_replace_is_refused_before_anything_is_written(api: Api) -> None:
    with_unset = api.post(
        "/api/v1/configs/dev/values", {"unset": ["api.replicas"], "replace": True}
    )
    assert with_unset.status_code == 422 and "replace" in with_unset.json()["error"]["message"]
    viewer = api.post("/api/v1/configs/dev/values", {"values": {}, "replace": True}, user="vic")
    assert viewer.status_code == 403 and "vic" in viewer.json()["error"]["message"]
    other = api.post(
        "/api/v1/configs/dev/values", {"values": {"a": 1}, "replace": True}, user="olga"
    )
    assert other.status_code == 403
    bad_key = api.post(
        "/api/v1/configs/dev/values", {"values": {"ok": 1, "bad key": 2}, "replace": True}
    )
    assert bad_key.status_code == 422
    assert _versions(api, "dev") == [1] and api.audit("config.set") == []


def test_rollback_is_a_new_version_equal_to_an_old_one(api: Api) -> None:
    api.post("/api/v1/configs/dev/values", {"values": {"api.replicas": 3, "x": "y"}})
    api.post("/api/v1/configs/dev/values", {"values": {"db.password": "new"}, "secret": True})
    rolled = api.post("/api/v1/configs/dev/rollback", {"version": 1}, user="dana")
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["created"] is True and rolled.json()["version"]["version"] == 4
    latest = api.store.get_config("dev")
    original = api.store.get_config("dev", 1)
    assert latest.values.keys() == original.values.keys()
    assert latest.values["api.replicas"] == 1
    assert latest.values["db.password"].reveal() == samples.SECRET  # type: ignore[union-attr]
    assert (latest.author, latest.message) == ("dana", "rollback to version 1")
    got = api.get("/api/v1/configs/dev").json()
    assert got["values"]["db.password"] == "<redacted>" and got["secretKeys"] == ["db.password"]
    assert samples.SECRET not in rolled.text + str(got)
    entry = api.audit("config.rollback")[0]
    assert (entry["actor"], entry["kind"], entry["name"]) == ("dana", "config", "dev")
    assert (entry["fromVersion"], entry["toVersion"]) == ("3", "4")
    assert entry["details"] == {"keys": ["api.replicas", "db.password", "x"], "rollbackTo": 1}
    again = api.post("/api/v1/configs/dev/rollback", {"version": 1, "message": "again"})
    assert again.json()["created"] is False and again.json()["version"]["version"] == 4
    assert len(api.audit("config.rollback")) == 1


def test_rollback_needs_config_edit_and_an_existing_version(api: Api) -> None:
    api.post("/api/v1/configs/dev/values", {"values": {"api.replicas": 3}})
    refused: list[tuple[str, Any, int]] = [
        ("vic", {"version": 1}, 403),  # viewer in dev, which uses config dev
        ("olga", {"version": 1}, 403),  # no role in dev
        ("root", {"version": 9}, 404),
        ("root", {"version": 0}, 422),
    ]
    for user, body, status in refused:
        answer = api.post("/api/v1/configs/dev/rollback", body, user=user)
        assert answer.status_code == status, (user, body, answer.text)
    assert (
        "vic"
        in api.post("/api/v1/configs/dev/rollback", {"version": 1}, user="vic").json()["error"][
            "message"
        ]
    )
    missing = api.post("/api/v1/configs/nope/rollback", {"version": 1})
    assert missing.status_code == 404 and "nope" in missing.json()["error"]["message"]
    assert _versions(api, "dev") == [1, 2] and api.audit("config.rollback") == []
