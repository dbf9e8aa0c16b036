"""The fields the CLI needs to print an application's views as it does locally."""

from __future__ import annotations

from kapstan.actions.rendering import render_at
from kapstan.render.hashing import service_yaml
from tests.api import samples
from tests.api.conftest import Api


def _record(api: Api, service: str, config_version: int) -> None:
    version = render_at(api.store, "shop", 1, config_version)
    rendered = version.rendered.services[service]
    api.store.add_revision(
        "shop",
        service,
        manifests=service_yaml(rendered),
        hash=rendered.hash,
        template="shop",
        template_version=1,
        config="dev",
        config_version=config_version,
        author="deployer",
        message=f"at dev@{config_version}",
    )


def test_the_config_version_in_use_even_when_the_app_follows_the_latest(api: Api) -> None:
    one = api.get("/api/v1/applications/shop").json()
    assert (one["configVersion"], one["effectiveConfigVersion"]) == (1, 1)
    api.store.update_application("shop", template_version=1, config_version=None)
    api.post("/api/v1/configs/dev/values", {"values": {"log.level": "debug"}})
    following = api.get("/api/v1/applications/shop", user="vic").json()
    assert (following["configVersion"], following["effectiveConfigVersion"]) == (None, 2)
    listed = api.get("/api/v1/applications").json()["items"]
    assert [a["effectiveConfigVersion"] for a in listed] == [2]


def test_changes_and_updates_name_the_template_and_the_config(api: Api) -> None:
    api.post("/api/v1/configs/dev/values", {"values": {"log.level": "debug"}})
    changes = api.get("/api/v1/applications/shop/changes").json()
    assert (changes["template"], changes["config"]) == ("shop", "dev")
    updated = api.patch("/api/v1/applications/shop", {}, user="dana")
    assert updated.status_code == 200
    body = updated.json()
    assert (body["configVersion"], body["effectiveConfigVersion"]) == (2, 2)
    assert body["changes"]["toConfig"] == 2 and body["changes"]["config"] == "dev"
    assert [c["description"] for c in body["changes"]["changes"]] == [
        "api: changed (keys: log.level)"
    ]
    refused = api.patch("/api/v1/applications/shop", {}, user="vic")
    assert refused.status_code == 403


def test_services_carry_their_latest_revision(api: Api) -> None:
    _record(api, "api", 1)
    services = api.get("/api/v1/applications/shop/services", user="vic").json()
    latest = {s["service"]: s["latestRevision"] for s in services}
    assert latest["db"] is None and latest["web"] is None
    assert latest["api"]["revision"] == 1 and latest["api"]["message"] == "at dev@1"
    assert latest["api"]["author"] == "deployer" and latest["api"]["config"] == "dev@1"


def test_structured_diffs_carry_the_resource_key_parts(api: Api) -> None:
    _record(api, "api", 1)
    api.post("/api/v1/configs/dev/values", {"values": {"api.replicas": 3}})
    _record(api, "api", 2)
    diff = api.get(
        "/api/v1/applications/shop/diff", params={"service": "api", "old": 1, "new": 2}
    ).json()
    deployment = next(c for c in diff["structured"] if c["kind"] == "Deployment")
    assert (deployment["group"], deployment["namespace"], deployment["name"]) == (
        "apps",
        "ns-dev",
        "api",
    )
    assert deployment["resource"] == "Deployment.apps ns-dev/api"
    assert {"path": "spec.replicas", "old": 1, "new": 3} in deployment["fields"]
    assert samples.SECRET not in str(diff)
