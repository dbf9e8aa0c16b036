"""Every route's happy path: templates, configs, environments, applications and their views."""

from __future__ import annotations

from tests.api import samples
from tests.api.conftest import Api


def test_templates(api: Api) -> None:
    listed = api.get("/api/v1/templates", user="vic").json()
    assert [(t["name"], t["version"]) for t in listed["items"]] == [("shop", 1)]
    one = api.get("/api/v1/templates/shop", user="vic").json()
    assert [s["name"] for s in one["services"]] == ["db", "api", "web"]
    assert {v["key"] for v in one["variables"]} >= {"api.replicas", "db.password", "log.level"}
    assert one["files"] == ["api.yaml", "db.yaml", "kapstan.yaml", "web.yaml"]
    same = api.post("/api/v1/templates", samples.template_body())
    assert same.status_code == 200 and same.json()["created"] is False
    new = api.post(
        "/api/v1/templates", samples.template_body(**{"web.yaml": samples.WEB_YAML + "# v2\n"})
    )
    assert new.status_code == 201 and new.json()["version"]["version"] == 2
    assert api.get("/api/v1/templates/shop", params={"version": 1}).json()["version"] == 1
    assert api.get("/api/v1/templates/shop/versions").json()["total"] == 2


def test_configs(api: Api) -> None:
    written = api.post(
        "/api/v1/configs/dev/values",
        {"values": {"api.replicas": 3}, "message": "more"},
        user="dana",
    )
    assert written.status_code == 200
    assert written.json()["version"]["version"] == 2 and written.json()["created"] is True
    again = api.post("/api/v1/configs/dev/values", {"values": {"api.replicas": 3}}, user="dana")
    assert again.json()["created"] is False
    got = api.get("/api/v1/configs/dev").json()
    assert got["values"]["api.replicas"] == 3 and got["secretKeys"] == ["db.password"]
    assert (
        api.get("/api/v1/configs/dev", params={"version": 1}).json()["values"]["api.replicas"] == 1
    )
    history = api.get("/api/v1/configs/dev/history").json()
    assert [h["version"] for h in history["items"]] == [1, 2]
    assert history["items"][1]["changes"]["changed"][0] == {
        "key": "api.replicas",
        "old": 1,
        "new": 3,
        "secret": False,
    }
    diff = api.get("/api/v1/configs/dev/diff", params={"old": 1, "new": 2}).json()
    assert [c["key"] for c in diff["changed"]] == ["api.replicas"]
    unset = api.post("/api/v1/configs/dev/values", {"unset": ["api.replicas"]}, user="dana")
    assert unset.json()["version"]["version"] == 3
    both = api.post("/api/v1/configs/dev/values", {"values": {"a": 1}, "unset": ["b"]})
    assert both.status_code == 422 and "not both" in both.json()["error"]["message"]
    bad = api.post("/api/v1/configs/dev/values", {"values": {"bad key!": 1}})
    assert bad.status_code == 422 and "not a valid config key" in bad.json()["error"]["message"]


def test_environments(api: Api) -> None:
    listed = api.get("/api/v1/environments").json()
    assert [e["name"] for e in listed["items"]] == ["dev", "other", "prod", "staging"]
    prod = api.get("/api/v1/environments/prod").json()
    assert prod["requiresApproval"] is True and prod["reachable"] is None
    reach = api.get("/api/v1/environments/dev", params={"reachability": "true"}).json()
    assert reach["reachable"] is False and "kubeconfig" in reach["reachability"]
    body = {
        "name": "qa",
        "kubeconfig": str(api.kubeconfig),
        "namespace": "qa",
        "requiresApproval": True,
    }
    created = api.post("/api/v1/environments", body)
    assert created.status_code == 201 and created.json()["requiresApproval"] is True
    clone = api.post("/api/v1/environments/dev/clone", {"name": "dev2", "namespace": "ns-dev2"})
    assert clone.status_code == 201 and clone.json()["config"] == "dev2"
    off = api.put("/api/v1/environments/qa/approval", {"required": False})
    assert off.json()["requiresApproval"] is False
    missing = api.post("/api/v1/environments", {**body, "name": "x", "kubeconfig": "/nope"})
    assert missing.status_code == 422 and "/nope" in missing.json()["error"]["message"]


def test_applications(api: Api) -> None:
    one = api.get("/api/v1/applications/shop").json()
    assert one["services"] == ["db", "api", "web"] and one["autoDeploy"] is False
    assert one["config"] == "dev" and one["templateVersion"] == 1
    found = api.get("/api/v1/applications", params={"q": "SHO"}).json()
    assert [a["name"] for a in found["items"]] == ["shop"]
    assert api.get("/api/v1/applications", params={"q": "zzz"}).json()["items"] == []
    health = api.get("/api/v1/applications", params={"health": "true"}).json()["items"][0]["health"]
    assert list(health) == ["(cluster)"] and health["(cluster)"].startswith("unknown:")
    created = api.post(
        "/api/v1/applications",
        {"name": "shop2", "template": "shop", "environment": "staging"},
        user="dana",
    )
    assert created.status_code == 201 and created.json()["config"] == "staging"
    api.post(
        "/api/v1/templates", samples.template_body(**{"web.yaml": samples.WEB_YAML + "# v2\n"})
    )
    updated = api.patch("/api/v1/applications/shop", {}, user="dana")
    assert updated.status_code == 200 and updated.json()["templateVersion"] == 2


def test_application_views(api: Api) -> None:
    rendered = api.get("/api/v1/applications/shop/render", params={"service": "api"}).json()
    assert [r["service"] for r in rendered] == ["api"]
    kinds = [o["kind"] for o in rendered[0]["objects"]]
    assert "Deployment" in kinds and "Secret" in kinds
    services = api.get("/api/v1/applications/shop/services").json()
    assert [(s["service"], s["dependsOn"], s["revision"]) for s in services] == [
        ("db", [], None),
        ("api", ["db"], None),
        ("web", ["api"], None),
    ]
    graph = api.get("/api/v1/applications/shop/graph").json()
    assert graph["waves"] == [["db"], ["api"], ["web"]]
    dot = api.get("/api/v1/applications/shop/graph", params={"format": "dot"})
    assert dot.headers["content-type"].startswith("text/plain") and "digraph" in dot.text
    assert "graph" in api.get("/api/v1/applications/shop/graph", params={"format": "mermaid"}).text
    api.post("/api/v1/configs/dev/values", {"values": {"log.level": "debug"}})
    changes = api.get("/api/v1/applications/shop/changes").json()
    assert (changes["fromConfig"], changes["toConfig"]) == (1, 2)  # the app is pinned to dev@1
    assert [(c["service"], c["keys"]) for c in changes["changes"]] == [("api", ["log.level"])]
    history = api.get("/api/v1/applications/shop/history").json()
    assert history == {"items": [], "total": 0, "limit": 50, "offset": 0, "next": None}
    missing = api.get(
        "/api/v1/applications/shop/diff", params={"service": "api", "old": 1, "new": 2}
    )
    assert missing.status_code == 404 and "revision" in missing.json()["error"]["message"]
    bad = api.get("/api/v1/applications/shop/render", params={"service": "nope"})
    assert (
        bad.status_code == 422
        and "its services are: db, api, web" in bad.json()["error"]["message"]
    )


def test_changes_between_pinned_versions(api: Api) -> None:
    api.post("/api/v1/configs/dev/values", {"values": {"api.image.tag": "2.0"}})
    api.post("/api/v1/configs/dev/values", {"values": {"web.tag": "3.0"}})
    changes = api.get("/api/v1/applications/shop/changes", params={"configVersion": 2}).json()
    assert (changes["fromConfig"], changes["toConfig"]) == (1, 2)
    assert [c["description"] for c in changes["changes"]] == ["api: changed (keys: api.image.tag)"]


def test_pagination(api: Api) -> None:
    for n in range(5):
        api.post(f"/api/v1/configs/c{n}/values", {"values": {"a": n}})
    first = api.get("/api/v1/configs", params={"limit": 3}).json()
    assert len(first["items"]) == 3 and first["total"] == 8 and first["next"] == 3
    last = api.get("/api/v1/configs", params={"limit": 3, "offset": 6}).json()
    assert len(last["items"]) == 2 and last["next"] is None
    assert api.get("/api/v1/configs", params={"limit": 0}).status_code == 422
    assert api.get("/api/v1/configs", params={"limit": 501}).status_code == 422
    audit = api.get("/api/v1/audit", params={"limit": 2}).json()
    assert len(audit["items"]) == 2 and audit["next"] == 2
