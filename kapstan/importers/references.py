"""Which other services a configuration value names: ``db``, ``db:5432``,
``db.shop.svc.cluster.local``, ``postgres://user@db:5432/x``.

A bare word counts only under a variable whose name says it holds an address
(``DB_HOST``, ``API_URL``...), so ``MODE=worker`` does not make a dependency on ``worker``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

_SPLIT = re.compile(r"[\s,;'\"=()\[\]]+")
_ADDRESS_NAME = re.compile(
    r"HOST|URL|URI|ADDR|ENDPOINT|SERVER|SERVICE|DSN|BROKER|UPSTREAM|BACKEND|PEER", re.I
)
_SVC_SUFFIX = re.compile(r"[a-z0-9-]+\.svc(\.cluster\.local)?\.?\Z")


def hosts(value: str) -> list[tuple[str, bool]]:
    """(host, explicit) for each address-like token; explicit when it had a scheme or port."""
    found = []
    for token in _SPLIT.split(value):
        explicit = "://" in token
        rest = token.split("://", 1)[1] if explicit else token
        netloc = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
        host, colon, port = netloc.partition(":")
        explicit = explicit or (bool(colon) and port.isdigit())
        if host:
            found.append((host.lower(), explicit))
    return found


def referenced(
    name: str, value: str, services: Mapping[str, str], namespaces: Collection[str] = ()
) -> list[str]:
    """Owners (values of ``services``: object name -> owner) that ``value`` names."""
    out: list[str] = []
    addressy = _ADDRESS_NAME.search(name) is not None
    for host, explicit in hosts(value):
        first, dot, rest = host.partition(".")
        if first not in services:
            continue
        qualified = bool(dot) and (rest in namespaces or _SVC_SUFFIX.match(rest) is not None)
        if (not dot and (explicit or addressy)) or qualified:
            owner = services[first]
            if owner not in out:
                out.append(owner)
    return out
