"""The console in a real headless Chromium (Debian's), against uvicorn on loopback and the sandbox.

One click-through as a deployer would do it: log in, create an application from a template,
deploy it after reading the plan and watch its progress stream to the end, change a config
key, see the plan's diff, deploy again, compare two revisions side by side, roll one
service back. Screenshots of the main pages land in test-artifacts/console/.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from kapstan import sandbox
from kapstan.api.app import create_app
from kapstan.api.state import ApiState
from kapstan.model.values import SecretValue
from kapstan.store.crypto import generate_key
from kapstan.templates.parser import parse_template
from tests.api import samples

pytestmark = pytest.mark.cluster
playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
PASSWORD = "dana-password-long"


@dataclass
class Served:
    url: str
    state: ApiState


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _populate(state: ApiState, kubeconfig: Path) -> None:
    store = state.store
    assert store is not None
    store.create_config(
        "dev", {"api.replicas": 1, "db.password": SecretValue(samples.SECRET)}, author="setup"
    )
    store.create_environment(
        "live",
        kubeconfig=str(kubeconfig),
        context=None,
        namespace=f"web-{uuid.uuid4().hex[:8]}",
        config="dev",
    )
    store.create_user("dana", password=PASSWORD)
    store.grant_role("dana", "live", "deployer")
    parsed = parse_template(samples.FILES)
    store.save_template_version("shop", dict(samples.FILES), parsed.digest, author="setup")


@contextmanager
def serving(app: Any) -> Iterator[int]:
    """``app`` served by uvicorn on a free loopback port (yielded), stopped on exit."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30  # a bound on a hang, not a speed assertion
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture
def served(sandbox_cluster: sandbox.SandboxState, tmp_path: Path) -> Iterator[Served]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium")
    app = create_app(
        str(tmp_path / "kapstan.db"),
        environ={"KAPSTAN_SECRET_KEY": generate_key()},
        shutdown_wait=10.0,
    )
    with serving(app) as port:
        state = app.state.kapstan
        _populate(state, sandbox_cluster.kubeconfig)
        yield Served(f"http://127.0.0.1:{port}/ui", state)


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _wait_done(page: object) -> str:
    """Wait on the operation page until the live stream reports the end; its status."""
    status = page.locator("#op-status[data-status]")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => { const s = document.querySelector('#op-status');"
        " return s && !['running', 'pending'].includes(s.dataset.status); }",
        timeout=180_000,
    )
    return str(status.get_attribute("data-status"))


def test_click_through(served: Served) -> None:
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(served.url)
            assert page.url.endswith("/ui/login")
            _shot(page, "01-login")
            page.fill("input[name=user]", "dana")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(served.url)

            page.click("text=Templates")
            page.click("a:text-is('shop')")
            assert page.locator("#variables").inner_text().count("api.image.tag") == 1
            _shot(page, "02-template")
            page.fill("#create-app input[name=name]", "web")
            page.click("#create-app button")
            page.wait_for_url(f"{served.url}/apps/web")
            assert page.locator("svg.graph .node").count() == 3

            page.click("text=Plan a deploy")
            assert page.locator("#plan-api .pill").first.inner_text() == "create"
            page.click("#confirm-deploy")
            page.wait_for_url("**/operations/*")
            assert page.locator("[sse-connect]").count() == 1  # live, not a finished page
            assert _wait_done(page) == "succeeded"
            assert page.locator("#events tbody tr").count() > 3  # rows streamed in
            _shot(page, "03-operation")

            page.goto(f"{served.url}/configs/dev")
            assert samples.SECRET not in page.content() and "<redacted>" in page.inner_text(
                "#values"
            )
            page.fill("#set-key input[name=key]", "api.image.tag")
            page.fill("#set-key input[name=value]", "2.0")
            page.click("#set-key button")
            page.wait_for_url(f"{served.url}/configs/dev")
            assert "api.image.tag" in page.inner_text("#history")
            _shot(page, "04-config")

            page.goto(f"{served.url}/apps/web")
            page.click("text=Update to latest versions")
            page.wait_for_url("**/apps/web/plan")
            assert page.locator("#plan-api .pill").first.inner_text() == "update"
            assert "shop/api:2.0" in page.inner_text("#plan-api pre.diff")
            assert page.locator("#plan-db .pill").first.inner_text() == "unchanged"
            _shot(page, "05-plan-diff")
            page.click("#confirm-deploy")
            page.wait_for_url("**/operations/*")
            assert _wait_done(page) == "succeeded"

            page.goto(f"{served.url}/apps/web")
            _shot(page, "06-application")
            page.click("#revisions a:text-is('1 → 2')")
            assert "shop/api:2.0" in page.inner_text("table.sidebyside")
            _shot(page, "07-revision-diff")

            page.goto(f"{served.url}/apps/web")
            page.click("#service-api button.danger")
            page.wait_for_url("**/rollback*")  # the rollback's plan first, then a confirmation
            page.click("#confirm-rollback")
            page.wait_for_url("**/operations/*")
            assert _wait_done(page) == "succeeded"
            assert "Rollback" in page.inner_text("h1")
            page.goto(served.url)
            _shot(page, "08-overview")
            assert "reachable" in page.inner_text("#environments")
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()
