"""Names: DNS labels for services and objects, and config key parts."""

from __future__ import annotations

import re

_NOT_DNS = re.compile(r"[^a-z0-9-]+")
_NOT_KEY = re.compile(r"[^A-Za-z0-9_-]+")


def dns_label(text: str, fallback: str = "svc") -> str:
    """``My_Service.1`` -> ``my-service-1``: lowercase, '-' for the rest, at most 63."""
    name = _NOT_DNS.sub("-", text.lower()).strip("-")[:63].strip("-")
    if not name:
        return fallback
    return name if name[0].isalnum() else f"x{name}"[:63]


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... whichever is not in ``taken`` (then taken)."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = name[: 63 - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def key_part(text: str) -> str:
    """A valid part of a dotted config key: letters, digits, '_' and '-', not a digit first."""
    part = _NOT_KEY.sub("_", text) or "_"
    return part if part[0].isalpha() or part[0] == "_" else f"_{part}"


def split_image(image: str) -> tuple[str, str | None]:
    """(repository, tag) of ``image``; tag ``latest`` when absent, None when pinned by digest."""
    if "@" in image:
        return image, None
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, "latest"
