"""Logins across server processes on one PostgreSQL: sessions and the failure limit.

Both live in the store, so a browser needs no sticky routing: a login on replica ``a``
opens pages on ``b``, a logout on ``b`` ends it on ``a``, and a replica started afterwards
knows the session too. Failed logins spread over replicas count as one limit.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx2
import pytest

from kapstan.web.sessions import COOKIE
from tests.replicas.conftest import Start, World
from tests.replicas.servers import Replica

pytestmark = pytest.mark.postgres
PASSWORD = "a long enough console password"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def browser(replica: Replica, session: str | None = None) -> httpx2.Client:
    cookies = {COOKIE: session} if session else None
    return httpx2.Client(
        base_url=f"http://127.0.0.1:{replica.port}",
        timeout=30.0,
        follow_redirects=False,
        cookies=cookies,
    )


def log_in(replica: Replica, user: str) -> str:
    with browser(replica) as b:
        form = b.get("/ui/login")
        found = CSRF.search(form.text)
        assert form.status_code == 200 and found is not None, form.text[:300]
        answer = b.post(
            "/ui/login", data={"user": user, "password": PASSWORD, "csrf": found.group(1)}
        )
        assert answer.status_code == 303, answer.text[:300]
        session = answer.cookies.get(COOKIE)
        assert session
        return session


def home(replica: Replica, session: str) -> httpx2.Response:
    with browser(replica, session) as b:
        return b.get("/ui")


def test_a_login_on_one_replica_is_known_to_every_replica(world: World, start: Start) -> None:
    world.store.create_user("vic", password=PASSWORD, admin=False)
    servers = start("a", "b")
    session = log_in(servers["a"], "vic")

    page = home(servers["b"], session)
    assert page.status_code == 200, page.text[:300]
    assert "vic" in page.text
    csrf = CSRF.search(page.text)
    assert csrf is not None
    # Not the id itself: what the store keeps is a digest.
    stored = world.store.console_session(
        session, idle=timedelta(hours=1), lifetime=timedelta(hours=2)
    )
    assert stored is not None and stored.user.name == "vic"

    later = start("c")["c"]
    assert home(later, session).status_code == 200

    with browser(servers["b"], session) as b:
        out = b.post("/ui/logout", data={"csrf": csrf.group(1)})
    assert out.status_code == 303
    for replica in (servers["a"], servers["b"], later):
        gone = home(replica, session)
        assert gone.status_code == 303 and "/ui/login" in gone.headers["location"]


def test_a_csrf_token_from_one_replica_is_accepted_by_another(world: World, start: Start) -> None:
    world.store.create_user("dana", password=PASSWORD, admin=False)
    servers = start("a", "b")
    session = log_in(servers["a"], "dana")
    page = home(servers["a"], session)
    csrf = CSRF.search(page.text)
    assert csrf is not None
    with browser(servers["b"], session) as b:
        wrong = b.post("/ui/logout", data={"csrf": "not-it"})
        assert wrong.status_code == 403
        right = b.post("/ui/logout", data={"csrf": csrf.group(1)})
        assert right.status_code == 303
    assert home(servers["a"], session).status_code == 303


def test_failed_logins_on_several_replicas_count_as_one_limit(world: World, start: Start) -> None:
    world.store.create_user("ana", password=PASSWORD, admin=False)
    servers = start("a", "b")
    wrong = {"user": "ana", "password": "not the password"}
    codes = [
        servers[name].client.post("/api/v1/login", json=wrong).status_code
        for name in ("a", "b", "a", "b", "a")
    ]
    assert codes == [401] * 5
    for replica in servers.values():
        limited = replica.client.post("/api/v1/login", json={**wrong, "password": PASSWORD})
        assert limited.status_code == 429, limited.text
        assert "too many failed logins for 'ana'" in limited.json()["error"]["message"]
