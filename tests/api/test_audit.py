"""Every change made through the API writes one audit entry: who, what, from which version
to which; the log is listed (filtered, paginated) and exported as JSON lines."""

from __future__ import annotations

import json

from tests.api import samples
from tests.api.conftest import Api


def test_each_change_is_audited(api: Api) -> None:
    api.post("/api/v1/configs/dev/values", {"values": {"api.replicas": 2}}, user="dana")
    api.post(
        "/api/v1/templates",
        samples.template_body(**{"web.yaml": samples.WEB_YAML + "# 2\n"}),
        user="dana",
    )
    api.patch("/api/v1/applications/shop", {}, user="dana")
    api.post("/api/v1/users", {"name": "nina"})
    api.post("/api/v1/users/nina/roles", {"environment": "dev", "role": "viewer"})
    api.post("/api/v1/environments/dev/clone", {"name": "qa", "namespace": "ns-qa"})
    expected = {
        "config.set": ("dana", "config", "dev", "1", "2"),
        "template.import": ("root", "template", "shop", None, "1"),
        "app.create": ("root", "application", "shop", None, "1"),
        "app.update": ("dana", "application", "shop", "1", "2"),
        "user.create": ("root", "user", "nina", None, None),
        "role.grant": ("root", "user", "nina", None, "viewer"),
        "environment.clone": ("root", "environment", "qa", None, None),
    }
    for action, (actor, kind, name, old, new) in expected.items():
        entries = api.audit(action)
        assert entries, action
        e = entries[-1]  # the oldest (the log is newest first)
        assert (e["actor"], e["kind"], e["name"], e["fromVersion"], e["toVersion"]) == (
            actor,
            kind,
            name,
            old,
            new,
        ), action
    imports = api.audit("template.import")
    assert [(e["actor"], e["toVersion"]) for e in imports] == [("dana", "2"), ("root", "1")]
    config_set = api.audit("config.set")[0]
    assert config_set["details"] == {"keys": ["api.replicas"], "secret": False}


def test_audit_filters_and_export(api: Api) -> None:
    api.post("/api/v1/configs/dev/values", {"values": {"a": 1}}, user="dana")
    by_dana = api.get("/api/v1/audit", params={"actor": "dana"}).json()["items"]
    assert [e["action"] for e in by_dana] == ["config.set"]
    by_kind = api.get("/api/v1/audit", params={"kind": "template"}).json()["items"]
    assert [e["name"] for e in by_kind] == ["shop"]
    export = api.get("/api/v1/audit/export")
    assert export.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [line["action"] for line in lines] == ["template.import", "app.create", "config.set"]
    later = api.get("/api/v1/audit/export", params={"since": lines[-1]["at"]})
    assert [json.loads(x)["action"] for x in later.text.splitlines()] == ["config.set"]
