"""A rollback from the console or the API shows its plan first, like a deploy's."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan import sandbox
from tests.api.conftest import open_api
from tests.web.conftest import Console

pytestmark = pytest.mark.cluster


@pytest.fixture
def live(sandbox_cluster: sandbox.SandboxState, tmp_path: Path) -> Iterator[Console]:
    """App ``web`` (template ``shop``) deployed twice on the sandbox: api at tag 1.0, then 2.0."""
    for api in open_api(str(tmp_path / "kapstan.db"), tmp_path):
        api.client.cookies.clear()
        api.store.create_environment(
            "live",
            kubeconfig=str(sandbox_cluster.kubeconfig),
            context=None,
            namespace=f"rb-{uuid.uuid4().hex[:8]}",
            config="dev",
        )
        api.store.grant_role("dana", "live", "deployer")
        api.store.grant_role("vic", "live", "viewer")
        created = api.post(
            "/api/v1/applications", {"name": "web", "template": "shop", "environment": "live"}
        )
        assert created.status_code == 201, created.text
        for tag in ("1.0", "2.0"):
            config = api.store.get_application("web").config
            values = {**api.store.get_config(config).values, "api.image.tag": tag}
            version = api.store.add_config_version(config, values, author="setup").version
            api.store.update_application("web", config_version=version)
            done = api.post(
                "/api/v1/applications/web/deploy", {"timeout": 120}, params={"wait": "true"}
            )
            assert done.json()["status"] == "succeeded", done.text
        yield Console(api)


def test_the_console_and_the_api_show_a_rollbacks_plan_before_it_runs(live: Console) -> None:
    page = live.get("/ui/apps/web", "dana").text
    assert re.search(
        r'<form method="get" action="/ui/apps/web/rollback"[^>]*>\s*'
        r'<input type="hidden" name="service" value="api">',
        page,
    )

    planned = live.api.get(
        "/api/v1/applications/web/rollback/plan", "vic", params={"service": "api"}
    )
    assert planned.status_code == 200, planned.text
    assert [(p["service"], p["action"]) for p in planned.json()["services"]] == [("api", "update")]
    before = len(live.api.store.list_operations("web", 100))

    shown = live.get("/ui/apps/web/rollback", "dana", params={"service": "api"})
    assert shown.status_code == 200, shown.text
    assert 'id="plan-api"' in shown.text and "What a rollback would change" in shown.text
    assert 'id="confirm-rollback"' in shown.text and 'id="confirm-deploy"' not in shown.text
    assert "shop/api:1.0" in shown.text, "the diff shows the image it goes back to"
    assert len(live.api.store.list_operations("web", 100)) == before, "nothing ran yet"
    viewer = live.get("/ui/apps/web/rollback", "vic", params={"service": "api"})
    assert "You may not roll back in live." in viewer.text
    assert 'id="confirm-rollback"' not in viewer.text

    confirmed = live.post("/ui/apps/web/rollback", "dana", {"service": "api", "to": ""})
    assert confirmed.status_code == 303 and "/operations/" in confirmed.headers["location"]
    missing = live.get("/ui/apps/web/rollback", "dana", params={"service": "db"})
    assert missing.status_code == 404 and "no earlier deployed revision" in missing.text
