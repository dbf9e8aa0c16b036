"""Checks on the names users give to templates, configs, environments, apps, services."""

from __future__ import annotations

import re

from kapstan.errors import InputError

NAME_PATTERN = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")
MAX_NAME_LENGTH = 63


def check_name(kind: str, name: str) -> str:
    """Return ``name`` if it is a DNS-1123-style name, else raise InputError naming it."""
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(
            f"{kind} name {name!r} is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}"
        )
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"{kind} name {name!r} is not valid: use lower-case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit"
        )
    return name


def check_version(kind: str, version: int) -> int:
    """Return ``version`` if it is a positive int, else raise InputError."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InputError(f"{kind} version must be a positive integer, not {version!r}")
    return version
