"""The 17-service dependency graph on the console's application page, in a real headless
Chromium (Debian's, as tests/web/test_browser.py), against uvicorn on loopback (#16).

No cluster is needed: the environment's kubeconfig names none, so the page shows the graph
with live status unavailable. Every service's box must be there, visible once scrolled to,
named, and clear of every other box. A screenshot lands in test-artifacts/console/.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright

from kapstan.actions.applications import create_app
from kapstan.actions.refs import Ref
from kapstan.api.app import create_app as create_server
from kapstan.store.crypto import generate_key
from kapstan.templates.parser import parse_template
from kapstan.web.sessions import COOKIE, Sessions
from tests.api import samples
from tests.web import mesh

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The console's base URL and a session id of viewer vic, with app ``mesh`` in dev."""
    assert CHROMIUM.exists(), "Debian's chromium is not installed: apt-get install -y chromium"
    server_app = create_server(
        str(tmp_path / "kapstan.db"),
        environ={"KAPSTAN_SECRET_KEY": generate_key()},
        shutdown_wait=10.0,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            server_app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30  # a bound on a hang, not a speed assertion
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    store = server_app.state.kapstan.store
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(samples.NO_CLUSTER)
    store.create_config("dev", {}, author="setup")
    store.create_environment(
        "dev", kubeconfig=str(kubeconfig), context=None, namespace="ns-dev", config="dev"
    )
    store.create_user("vic", password=None)
    store.grant_role("vic", "dev", "viewer")
    files = mesh.template_files()
    store.save_template_version(mesh.NAME, files, parse_template(files).digest, author="setup")
    create_app(store, mesh.NAME, template=Ref(mesh.NAME), environment="dev", author="setup")
    try:
        yield f"http://127.0.0.1:{port}/ui", Sessions(store).create("vic").id
    finally:
        server.should_exit = True
        thread.join(30)


def _box_of(page: Page, service: str) -> dict[str, float]:
    """Where ``service``'s box is on screen once scrolled into view; asserts it is shown."""
    node = page.locator("svg.graph g.node").filter(
        has=page.locator(f"title:text-is('{service}: unknown')")
    )
    assert node.count() == 1, service
    rect = node.locator("rect")
    rect.scroll_into_view_if_needed()
    assert rect.is_visible() and node.locator("text").text_content() == service
    box = rect.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 30, (service, box)
    viewport = page.viewport_size
    assert viewport is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (service, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (service, box)
    scroll = page.evaluate("() => [document.querySelector('div.graph').scrollLeft, window.scrollY]")
    return {**box, "x": box["x"] + scroll[0], "y": box["y"] + scroll[1]}


def _apart(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_every_service_box_is_visible_on_the_application_page(served: tuple[str, str]) -> None:
    url, session = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": COOKIE, "value": session, "url": url}])
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{url}/apps/{mesh.NAME}")
            assert page.locator("svg.graph g.node").count() == len(mesh.DEPENDS)
            assert page.locator("svg.graph .edge").count() == len(mesh.edges())
            assert page.locator("#graph-note").count() == 0  # Graphviz laid it out
            page.locator("div.graph").scroll_into_view_if_needed()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.locator("div.graph").screenshot(path=str(ARTIFACTS / "graph-17-services.png"))
            boxes = {service: _box_of(page, service) for service in mesh.DEPENDS}
            overlapping = [
                (a, b) for a in boxes for b in boxes if a < b and not _apart(boxes[a], boxes[b])
            ]
            assert overlapping == []
            # the picture's inline presentation attributes pass the console's CSP
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()
