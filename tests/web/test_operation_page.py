"""The console's operation page in a real headless Chromium: one row per service (level, step,
ready/desired, elapsed, reason), kept current by the live stream to each service's final
state (issue 15: a page opened while the operation ran showed every service "pending" to
the end).

No cluster: the operation's journal is written to the store as the engine writes it, and
the page reads the store, whoever runs the operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kapstan.api.app import create_app
from kapstan.model.operation import Step
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from kapstan.templates.parser import parse_template
from kapstan.web.sessions import COOKIE, Sessions
from tests.api import samples
from tests.web.test_browser import ARGS, CHROMIUM, _wait_done, playwright_api, serving


@dataclass
class Site:
    url: str
    store: Store
    session: str


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium")
    app = create_app(
        str(tmp_path / "kapstan.db"),
        environ={"KAPSTAN_SECRET_KEY": generate_key()},
        shutdown_wait=10.0,
    )
    with serving(app) as port:
        store = app.state.kapstan.store
        _populate(store, tmp_path / "kubeconfig")
        yield Site(f"http://127.0.0.1:{port}/ui", store, Sessions(store).create("dana").id)


def _populate(store: Store, kubeconfig: Path) -> None:
    """App shop (db, then api, then web) in environment dev, where dana deploys."""
    kubeconfig.write_text(samples.NO_CLUSTER)
    store.create_config("dev", {"api.replicas": 1}, author="setup")
    store.create_environment(
        "dev", kubeconfig=str(kubeconfig), context=None, namespace="ns-dev", config="dev"
    )
    store.create_user("dana", password=None)
    store.grant_role("dana", "dev", "deployer")
    parsed = parse_template(samples.FILES)
    store.save_template_version("shop", dict(samples.FILES), parsed.digest, author="setup")
    store.create_application(
        "shop",
        template="shop",
        template_version=1,
        environment="dev",
        config="dev",
        config_version=None,
    )


def _journal_to_the_end(store: Store, op: int) -> None:
    """What the engine writes for: db ready, api failing its wait, web skipped after it."""
    store.set_service_state(op, "db", Step.APPLYING, "applying revision 1", 1)
    store.record_event(
        op,
        status="applied",
        message="server-side apply",
        service="db",
        resource="StatefulSet.apps ns-dev/db",
    )
    store.record_event(
        op,
        status="healthy",
        message="1/1 replicas ready at revision db-1",
        service="db",
        resource="StatefulSet db",
    )
    store.set_service_state(op, "db", Step.READY, "revision 1 ready", 1)
    store.set_service_state(op, "api", Step.WAITING, "waiting for readiness", 1)
    store.record_event(
        op,
        status="progressing",
        message="0/1 updated replicas available",
        service="api",
        resource="Deployment api",
    )
    store.record_event(op, status="reason", message="pod api-1: CrashLoopBackOff", service="api")
    store.set_service_state(op, "api", Step.FAILED, "not ready after 4s: Deployment api", 1)
    store.set_service_state(
        op, "web", Step.SKIPPED, "not started: dependency api did not become ready"
    )
    store.finish_operation(op, Step.FAILED, "1 failed, 1 ready, 1 skipped")


def test_a_page_opened_while_it_runs_ends_with_every_service_in_its_final_state(
    site: Site,
) -> None:
    op = site.store.start_operation(
        "shop", "deploy", author="dana", services=["db", "api", "web"]
    ).id
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": COOKIE, "value": site.session, "url": site.url}])
            page = context.new_page()
            page.goto(f"{site.url}/apps/shop/operations/{op}")
            assert page.locator("[sse-connect]").count() == 1, "live: the operation runs"
            assert "pending" in page.inner_text(".services")
            _journal_to_the_end(site.store, op)
            assert _wait_done(page) == "failed"
            services = page.inner_text(".services")
            assert "pending" not in services, f"the final states, streamed: {services}"
            rows = {
                cells[1]: cells
                for cells in (
                    [c.strip() for c in row.inner_text().split("\t")]
                    for row in page.locator(".services tbody tr").all()
                )
            }
            assert rows["db"][:4] == ["1", "db", "ready", "1/1"]
            assert rows["api"][:4] == ["2", "api", "failed", "0/1"]
            assert rows["api"][5] == "not ready after 4s: Deployment api", "why it failed"
            assert rows["web"][:3] == ["3", "web", "skipped"]
            assert rows["web"][5].startswith("not started: dependency api")
            header = page.inner_text(".services thead")
            assert header.split() == ["Level", "Service", "Step", "Ready", "Elapsed", "Reason"]

            page.reload()  # the finished page, drawn at once: the same final states
            assert page.locator("[sse-connect]").count() == 0
            assert [
                r.get_attribute("data-step") for r in page.locator(".services tbody tr").all()
            ] == [
                "ready",
                "failed",
                "skipped",
            ]
        finally:
            browser.close()
