"""The console's Delete in a real headless Chromium: only for the environment's admin, it
shows what will be deleted first, then runs the delete operation live to its end."""

from __future__ import annotations

import pytest

from kapstan.kube import connect
from tests.web.test_browser import (
    ARGS,
    CHROMIUM,
    PASSWORD,
    Served,
    _shot,
    _wait_done,
    playwright_api,
    served,  # noqa: F401  (the fixture)
)

pytestmark = pytest.mark.cluster


def test_delete_an_application_from_the_console(served: Served) -> None:  # noqa: F811
    store = served.state.store
    assert store is not None
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(served.url)
            page.fill("input[name=user]", "dana")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(served.url)
            page.goto(f"{served.url}/templates/shop")
            page.fill("#create-app input[name=name]", "web")
            page.click("#create-app button")
            page.wait_for_url(f"{served.url}/apps/web")
            page.click("text=Plan a deploy")
            page.click("#confirm-deploy")
            page.wait_for_url("**/operations/*")
            assert _wait_done(page) == "succeeded"

            page.goto(f"{served.url}/apps/web")
            assert page.locator("#delete-app").count() == 0  # a deployer may not delete
            store.grant_role("dana", "live", "admin")
            page.reload()
            page.click("#delete-app")
            page.wait_for_url(f"{served.url}/apps/web/delete")
            namespace = store.get_environment("live").namespace
            assert f"Deployment {namespace}/api" in page.inner_text("#delete-api")
            assert "will be deleted" in page.inner_text("#delete-count")
            _shot(page, "09-delete")
            page.click("#confirm-delete")
            page.wait_for_url("**/operations/*")
            assert _wait_done(page) == "succeeded"
            assert "Delete" in page.inner_text("h1")
            assert "application web deleted" in page.content()
        finally:
            browser.close()
    with connect(store.get_environment("live").kubeconfig) as kube:
        assert kube.get("apps/v1", "Deployment", "api", namespace) is None
    assert store.list_operations("web", deleted=True)[0].kind == "delete"
    entries = store.list_audit(name="web")
    assert ("app.delete", "console") in [(e.action, e.details.get("via")) for e in entries]
