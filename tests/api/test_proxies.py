"""``kapstan.api.proxies``: forwarded headers count only from listed proxies; any header
text from anyone gives the peer or a real IP address written in the header, never a
traceback (issue 12, finding 4). In process; the real server is in tests/remote."""

from __future__ import annotations

import ipaddress

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from kapstan.api.proxies import ForwardedSchemeMiddleware, TrustedProxies, client_of
from kapstan.cli.main import main
from kapstan.errors import InputError

LOCAL = TrustedProxies.parse("127.0.0.1,10.0.0.0/8")


def headers(**given: str) -> Headers:
    return Headers({k.replace("_", "-"): v for k, v in given.items()})


def test_an_unlisted_peer_is_the_client_whatever_it_claims() -> None:
    claim = headers(x_forwarded_for="198.51.100.1", forwarded="for=198.51.100.2")
    for proxies in (TrustedProxies(), TrustedProxies.parse("10.0.0.0/8")):
        found = client_of("127.0.0.1", claim, proxies)
        assert (found.address, found.audit()) == ("127.0.0.1", {"address": "127.0.0.1"})


@pytest.mark.parametrize(
    ("given", "client"),
    [
        ({"x_forwarded_for": "198.51.100.1"}, "198.51.100.1"),
        # hops a listed proxy appended are skipped; left of the client is the client's say
        ({"x_forwarded_for": "6.6.6.6, 198.51.100.1, 10.1.2.3"}, "198.51.100.1"),
        ({"forwarded": 'for="[2001:db8::1]:4711";proto=https'}, "2001:db8::1"),
        ({"forwarded": "for=unknown, for=198.51.100.7:80"}, "198.51.100.7"),
        ({"x_forwarded_for": "not-an-address"}, None),
        ({}, None),
    ],
)
def test_a_listed_proxy_forwards_for_its_client(given: dict[str, str], client: str | None) -> None:
    found = client_of("10.0.0.5", headers(**given), LOCAL)
    assert found.forwarded_for == client and found.peer == "10.0.0.5"
    assert found.address == (client or "10.0.0.5")


def test_a_bad_allow_list_is_named_before_the_server_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(InputError, match=r"'10\.0\.0\.300' is not an IP address"):
        TrustedProxies.parse("127.0.0.1, 10.0.0.300")
    code = main(["server", "--db", "sqlite://", "--forwarded-allow-ips", "proxy.local"])
    assert code == 1 and "'proxy.local' is not an IP address" in capsys.readouterr().err
    assert TrustedProxies.parse("*").trusts("192.0.2.1")
    assert not TrustedProxies.parse("").trusts("127.0.0.1")


latin1 = st.characters(max_codepoint=255)  # what an HTTP header value can carry
hops = st.one_of(
    st.ip_addresses().map(str),
    st.text(latin1, max_size=30),
    st.sampled_from(["unknown", "_hidden", "[::1]:80", '"1.2.3.4"', "1.2.3.4:99", "[", "]"]),
)
header_text = st.lists(hops, max_size=5).map(", ".join) | st.text(latin1, max_size=60)


@settings(max_examples=50, deadline=None)
@given(peer=st.ip_addresses().map(str), xff=header_text, fwd=header_text)
def test_any_forwarded_header_gives_the_peer_or_an_address_it_names(
    peer: str, xff: str, fwd: str
) -> None:
    claim = headers(x_forwarded_for=xff, forwarded=f"for={fwd}")
    untrusted = client_of(peer, claim, TrustedProxies())
    assert untrusted.address == peer and untrusted.forwarded_for is None
    trusted = client_of(peer, claim, TrustedProxies.parse("*"))
    assert trusted.peer == peer
    if trusted.forwarded_for is not None:
        ipaddress.ip_address(trusted.forwarded_for)  # a real address, never free text


async def _scheme_of(peer: str, proto: str) -> str:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["scheme"])

    scope: Scope = {
        "type": "http",
        "scheme": "http",
        "client": (peer, 5000),
        "headers": [(b"x-forwarded-proto", proto.encode())],
    }

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(message: Message) -> None:
        return None

    await ForwardedSchemeMiddleware(app, LOCAL)(scope, receive, send)
    return seen[0]


def test_only_a_listed_proxy_sets_the_scheme() -> None:
    assert anyio.run(_scheme_of, "10.0.0.5", "https") == "https"
    assert anyio.run(_scheme_of, "192.0.2.1", "https") == "http"
    assert anyio.run(_scheme_of, "10.0.0.5", "gopher") == "http"
