"""Which client a request comes from, and which proxies may say it is someone else.

A proxy in front of the server passes the client's address in ``X-Forwarded-For`` (or
RFC 7239 ``Forwarded: for=``) and its scheme in ``X-Forwarded-Proto``. Anyone can send
those headers, so they count only when the TCP peer is a proxy the operator listed
(``kapstan server --forwarded-allow-ips A,B``; default: none). uvicorn's own handling
trusts 127.0.0.1 by default and overwrites the peer with the claimed address, so a
client on the server's machine (or behind a local proxy that appends) could claim a new
address per login attempt and escape the failure limit, and the audit log recorded the
claim: Kapstan starts uvicorn with ``proxy_headers=False`` and reads the headers here.

The peer is always kept: the audit log records it as ``address``, and the claimed
address of a trusted proxy's client as ``forwardedFor``; the login limit counts per
claimed address only when a listed proxy made the claim.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from kapstan.errors import InputError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    """The peers whose forwarded headers are believed: addresses and networks, or all."""

    networks: tuple[Network, ...] = ()
    everyone: bool = False

    @classmethod
    def parse(cls, text: str | None) -> TrustedProxies:
        """``"10.0.0.1,10.1.0.0/16"`` or ``"*"``; InputError naming an entry that is neither."""
        entries = [e.strip() for e in (text or "").split(",") if e.strip()]
        if "*" in entries:
            return cls(everyone=True)
        networks = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise InputError(
                    f"--forwarded-allow-ips: {entry!r} is not an IP address or network; "
                    "list the proxies in front of the server, e.g. 10.0.0.5,10.1.0.0/16"
                ) from None
        return cls(tuple(networks))

    def trusts(self, address: str | None) -> bool:
        if address is None:
            return False
        if self.everyone:
            return True
        ip = _ip(address)
        return ip is not None and any(ip in network for network in self.networks)


@dataclass(frozen=True)
class ClientAddress:
    """The TCP peer, and the address a trusted proxy says it forwards for (else None)."""

    peer: str
    forwarded_for: str | None = None

    @property
    def address(self) -> str:
        """Whom a request is counted against (the login limit): the client, as best known."""
        return self.forwarded_for or self.peer

    def audit(self) -> dict[str, str]:
        """Audit details: the real peer always; the claim only if a listed proxy made it."""
        found = {"address": self.peer}
        if self.forwarded_for is not None:
            found["forwardedFor"] = self.forwarded_for
        return found


def client_of(peer: str | None, headers: Headers, proxies: TrustedProxies) -> ClientAddress:
    """The client of a request from ``peer`` with ``headers``: see the module docstring."""
    if peer is None:
        return ClientAddress("unknown")
    if not proxies.trusts(peer):
        return ClientAddress(peer)
    hops = _hops(headers.getlist("x-forwarded-for")) or _forwarded_for(headers.getlist("forwarded"))
    # The right-most hop not itself a listed proxy is the client: hops left of it were
    # written by the client (or a proxy nobody listed) and prove nothing.
    for hop in reversed(hops):
        if not proxies.trusts(hop):
            return ClientAddress(peer, hop)
    return ClientAddress(peer, hops[0] if hops else None)


class ForwardedSchemeMiddleware:
    """``X-Forwarded-Proto`` from a listed proxy sets the request's scheme (a console cookie
    is Secure behind a TLS proxy); the client address is left alone (``client_of``)."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            peer = scope.get("client")
            if peer and self.proxies.trusts(peer[0]):
                proto = Headers(scope=scope).get("x-forwarded-proto", "")
                scheme = proto.split(",")[-1].strip().lower()
                websocket = scope["type"] == "websocket"
                if scheme in ("http", "https"):
                    secure = scheme == "https"
                    scope = {
                        **scope,
                        "scheme": ("wss" if secure else "ws") if websocket else scheme,
                    }
        await self.app(scope, receive, send)


def _hops(values: Iterable[str]) -> list[str]:
    return [h for h in (_address(part) for v in values for part in v.split(",")) if h]


def _forwarded_for(values: Iterable[str]) -> list[str]:
    """The ``for=`` of each element of RFC 7239 ``Forwarded`` headers, in order."""
    found = []
    for value in values:
        for element in value.split(","):
            for pair in element.split(";"):
                key, _, given = pair.partition("=")
                if key.strip().lower() == "for":
                    hop = _address(given)
                    if hop:
                        found.append(hop)
    return found


def _address(text: str) -> str | None:
    """An IP address from a header hop (``1.2.3.4``, ``"[2001:db8::1]:4711"``); None if
    it is not one (``unknown``, an obfuscated ``_id``, garbage): never a made-up key."""
    hop = text.strip().strip('"').strip()
    if hop.startswith("["):
        hop = hop[1 : hop.find("]")] if "]" in hop else ""
    elif hop.count(":") == 1:
        hop = hop.partition(":")[0]
    ip = _ip(hop)
    return None if ip is None else str(ip)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
