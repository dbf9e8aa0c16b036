"""Console pages in process: login, sessions, CSRF, permissions, headers, no secret shown."""

from __future__ import annotations

import pytest

from kapstan.web.common import STATIC, VENDOR_FILES, vendor_missing
from kapstan.web.console import SECURITY_HEADERS
from kapstan.web.sessions import COOKIE, LOGIN_COOKIE
from tests.api import samples
from tests.web.conftest import Console

PAGES = [
    "/ui",
    "/ui?q=sho",
    "/ui/apps/shop",
    "/ui/templates",
    "/ui/templates/shop",
    "/ui/configs",
    "/ui/configs/dev",
    "/ui/configs/dev/diff?old=1&new=1",
    "/ui/audit",
    "/ui/audit?environment=dev",
    "/ui/approvals",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_with_security_headers_and_no_secret(console: Console, path: str) -> None:
    answer = console.get(path, "root")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value
    assert samples.SECRET not in answer.text
    assert "<script>" not in answer.text  # no inline script: the CSP would refuse it


def test_overview_shows_environments_applications_and_health(console: Console) -> None:
    page = console.get("/ui", "dana").text
    assert 'id="environments"' in page and "ns-dev" in page and "unreachable" in page
    assert 'href="/ui/apps/shop"' in page
    assert "ns-other" not in page  # dana has no role on another team's environment
    assert 'href="/ui/apps/shop"' not in console.get("/ui?q=nothing-like-it", "dana").text


def test_app_page_draws_the_graph_and_offers_actions(console: Console) -> None:
    page = console.get("/ui/apps/shop", "dana").text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="graph"' in page
    assert 'class="edge dependsOn"' in page and 'class="edge calls"' in page
    assert 'action="/ui/apps/shop/rollback"' not in page  # nothing deployed yet
    assert 'action="/ui/apps/shop/update"' in page and "Live status unavailable" in page


def test_another_teams_environment_is_forbidden(console: Console) -> None:
    answer = console.get("/ui/apps/shop", "olga")
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "olga" in answer.text and "dev" in answer.text
    assert console.get("/ui/configs/dev", "olga").status_code == 403
    assert 'href="/ui/apps/shop"' not in console.get("/ui", "olga").text
    assert console.get("/ui/audit?environment=dev", "olga").status_code == 403


def test_viewer_may_not_deploy_or_edit(console: Console) -> None:
    assert console.post("/ui/apps/shop/deploy", "vic", {}).status_code == 403
    assert console.post("/ui/apps/shop/rollback", "vic", {"service": "api"}).status_code == 403
    answer = console.post("/ui/configs/dev/set", "vic", {"key": "a", "value": "1"})
    assert answer.status_code == 403
    assert 'action="/ui/configs/dev/set"' not in console.get("/ui/configs/dev", "vic").text


def test_post_without_csrf_token_is_rejected(console: Console) -> None:
    before = console.api.store.get_config("dev").version
    for form in (
        {"key": "api.replicas", "value": "3"},
        {"key": "api.replicas", "value": "3", "csrf": "forged"},
    ):
        answer = console.post("/ui/configs/dev/set", "dana", form, csrf=False)
        assert answer.status_code == 403 and "CSRF" in answer.text
    assert console.api.store.get_config("dev").version == before
    assert console.post("/ui/logout", "dana", {}, csrf=False).status_code == 403


def test_editing_a_key_makes_a_version_and_secrets_stay_redacted(console: Console) -> None:
    before = console.api.store.get_config("dev").version
    answer = console.post("/ui/configs/dev/set", "dana", {"key": "api.replicas", "value": "3"})
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/configs/dev"
    current = console.api.store.get_config("dev")
    assert current.version == before + 1 and current.values["api.replicas"] == 3
    other = "another-secret-Q7"
    console.post(
        "/ui/configs/dev/set", "dana", {"key": "db.password", "value": other, "secret": "1"}
    )
    for path in ("/ui/configs/dev", f"/ui/configs/dev/diff?old=1&new={before + 2}"):
        text = console.get(path, "root").text
        assert other not in text and samples.SECRET not in text and "&lt;redacted&gt;" in text
    assert other not in console.get("/ui/audit", "root").text
    diff = console.get(f"/ui/configs/dev/diff?old={before}&new={before + 1}", "dana").text
    assert "api.replicas" in diff
    assert [e for e in console.api.audit("config.set") if e["details"].get("via") == "console"]


def test_create_an_application_from_a_template(console: Console) -> None:
    page = console.get("/ui/templates/shop", "dana").text
    assert "api.image.tag" in page and "db.version" in page  # extracted variables
    answer = console.post(
        "/ui/apps", "dana", {"name": "shop2", "template": "shop", "environment": "dev"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/apps/shop2"
    assert console.api.store.get_application("shop2").environment == "dev"
    refused = console.post(
        "/ui/apps", "dana", {"name": "x", "template": "shop", "environment": "other"}
    )
    assert refused.status_code == 403


def test_cluster_errors_become_html_pages(console: Console) -> None:
    answer = console.get("/ui/apps/shop/plan", "dana")
    assert answer.status_code == 502 and "<h1>Error 502</h1>" in answer.text


def test_without_a_session_pages_redirect_to_login(console: Console) -> None:
    answer = console.api.client.get("/ui/apps/shop", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/login"
    forged = console.api.client.get(
        "/ui", headers={"Cookie": f"{COOKIE}=made-up"}, follow_redirects=False
    )
    assert forged.status_code == 303


def test_login_form_sets_a_strict_http_only_session_cookie(console: Console) -> None:
    client = console.api.client
    form = client.get("/ui/login")
    token = form.cookies[LOGIN_COOKIE]
    assert f'name="csrf" value="{token}"' in form.text
    answer = client.post(
        "/ui/login",
        data={"user": "dana", "password": "dana-password-long", "csrf": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/ui"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(COOKIE))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert client.get("/ui").status_code == 200
    assert [e for e in console.api.audit("console.login") if e["name"] == "dana"]


def test_login_needs_the_form_token_and_is_rate_limited(console: Console) -> None:
    client = console.api.client
    refused = client.post("/ui/login", data={"user": "dana", "password": "dana-password-long"})
    assert refused.status_code == 403 and COOKIE not in refused.cookies
    token, statuses = client.get("/ui/login").cookies[LOGIN_COOKIE], []
    for _ in range(6):  # every answer is a new form with a new token
        answer = client.post("/ui/login", data={"user": "ghost", "password": "x", "csrf": token})
        statuses.append(answer.status_code)
        token = answer.cookies[LOGIN_COOKIE]
    assert statuses == [401] * 5 + [429]
    assert "too many failed logins" in answer.text


def test_vendor_assets_are_built() -> None:
    missing = vendor_missing()
    assert not missing, (
        f"console assets {missing} are missing from {STATIC / 'vendor'}; build them with: "
        "npm ci --prefix web && npm run build --prefix web"
    )
    assert set(VENDOR_FILES) == {"htmx.min.js", "sse.min.js"}
