"""Addresses of other services in a text, with their ports: ``http://backend:8000``,
``cache:6379``, ``postgres://u@db/x`` (a scheme's usual port), as an nginx
``proxy_pass`` or a ``--broker=amqp://queue`` argument writes them.

Compose services reach each other by name on any port their container listens on; in
Kubernetes a name resolves only through a Service, which lists its ports. So a service
that others name but that declares no ``ports``/``expose`` still needs a Service, with
the ports those references use. Pure: text in, references out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_SPLIT = re.compile(r"[\s,;'\"=()\[\]{}<>|]+")
_SVC_SUFFIX = re.compile(r"[a-z0-9-]+\.svc(\.cluster\.local)?\.?\Z")
SCHEME_PORTS = {
    "http": 80,
    "ws": 80,
    "https": 443,
    "wss": 443,
    "grpc": 80,
    "postgres": 5432,
    "postgresql": 5432,
    "mysql": 3306,
    "redis": 6379,
    "amqp": 5672,
    "mongodb": 27017,
    "nats": 4222,
    "memcached": 11211,
}


@dataclass(frozen=True)
class Reference:
    """Service ``target`` named by ``address`` (as written); ``port`` None when unknown."""

    target: str
    port: int | None
    address: str


def addresses(text: str, services: Mapping[str, str]) -> list[Reference]:
    """References in ``text`` to ``services`` (a name as written -> its Kapstan service)
    that carry a scheme or a port: a bare word is too often not an address."""
    out: list[Reference] = []
    for token in _SPLIT.split(text):
        scheme, _, rest = token.rpartition("://")
        netloc = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
        host, colon, port_text = netloc.partition(":")
        first, dot, domain = host.lower().partition(".")
        if first not in services or (dot and not _SVC_SUFFIX.match(domain)):
            continue
        port = _port(port_text) if colon else SCHEME_PORTS.get(scheme.lower().rsplit(":", 1)[-1])
        if port is None and not scheme:
            continue
        found = Reference(services[first], port, token)
        if found not in out:
            out.append(found)
    return out


def _port(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else None
