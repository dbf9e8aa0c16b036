"""Forwarded headers on a real ``kapstan server`` (uvicorn on 127.0.0.1) (issue 12, finding 4).

By default no peer is a trusted proxy: X-Forwarded-For from 127.0.0.1 changes nothing, so
it cannot buy a fresh login limit per attempt, and the audit log records the real peer.
With ``--forwarded-allow-ips 127.0.0.1`` the forwarded client is counted, and the audit
log keeps the peer as ``address`` and the claim as ``forwardedFor``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from tests.remote.conftest import Server
from tests.replicas.servers import Replica, replicas

PASSWORD = "a-long-enough-password"
USERS = ("lena", "mona", "nina", "otto")


@pytest.fixture(scope="module")
def proxied(server: Server) -> Iterator[Replica]:
    """A second server on the same store that lists 127.0.0.1 as its proxy."""
    with server.store() as store:
        for name in USERS:
            store.create_user(name, password=PASSWORD, admin=False)
    extra = ("--forwarded-allow-ips", "127.0.0.1")
    with replicas(server.db, server.tokens["root"], {}, server.home, ("proxied",), extra) as up:
        yield up["proxied"]


def login(url: str, user: str, password: str, forwarded: str) -> httpx2.Response:
    body = {"user": user, "password": password}
    return httpx2.post(f"{url}/api/v1/login", json=body, headers={"X-Forwarded-For": forwarded})


def token_audit(server: Server, user: str) -> dict[str, Any]:
    items = server.replica.client.get("/api/v1/audit", params={"limit": 500}).json()["items"]
    (entry,) = [e for e in items if e["action"] == "token.create" and e["name"] == user]
    details: dict[str, Any] = entry["details"]
    return details


def test_forwarded_addresses_from_an_unlisted_peer_do_not_escape_the_login_limit(
    server: Server, proxied: Replica
) -> None:
    for attempt in range(5):
        failed = login(server.url, "lena", "wrong", f"198.51.100.{attempt}")
        assert failed.status_code == 401, failed.text
    sixth = login(server.url, "lena", "wrong", "198.51.100.99")
    assert sixth.status_code == 429, sixth.text
    assert "from 127.0.0.1" in sixth.json()["error"]["message"]


def test_the_audit_log_records_the_real_peer_not_the_claim(
    server: Server, proxied: Replica
) -> None:
    done = login(server.url, "mona", PASSWORD, "203.0.113.7")
    assert done.status_code == 200, done.text
    assert token_audit(server, "mona") == {
        "token": done.json()["info"]["id"],
        "via": "login",
        "address": "127.0.0.1",
    }


def test_a_listed_proxy_forwards_the_client_address(server: Server, proxied: Replica) -> None:
    url = f"http://127.0.0.1:{proxied.port}"
    for attempt in range(5):  # five clients, one failure each: none is limited
        assert login(url, "nina", "wrong", f"198.51.100.{attempt}").status_code == 401
    for _ in range(4):  # the first client's own five failures, then the limit
        assert login(url, "nina", "wrong", "10.9.0.1, 198.51.100.0").status_code == 401
    limited = login(url, "nina", "wrong", "198.51.100.0")
    assert limited.status_code == 429 and "from 198.51.100.0" in limited.text
    done = login(url, "otto", PASSWORD, "203.0.113.9")
    assert done.status_code == 200, done.text
    assert token_audit(server, "otto") == {
        "token": done.json()["info"]["id"],
        "via": "login",
        "address": "127.0.0.1",
        "forwardedFor": "203.0.113.9",
    }
