"""Placeholder syntax: ``${key}``, ``${key:-default}``, and ``$${`` for a literal ``${``.

Keys are dotted names: ``catalog.image.tag``; each part starts with a letter or ``_``
and holds letters, digits, ``_`` and ``-``. A default runs to the first ``}``.
"""

from __future__ import annotations

import re

from kapstan.errors import TemplateError
from kapstan.model.manifest import Placeholder

KEY_PATTERN = r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*"
_KEY = re.compile(KEY_PATTERN + r"\Z")
_TOKEN = re.compile(r"\$\$\{|\$\{")
_BODY = re.compile(r"(" + KEY_PATTERN + r")(?::-([^}]*))?\}")


def is_key(text: str) -> bool:
    """True when ``text`` is a valid config key."""
    return _KEY.match(text) is not None


def has_placeholder(text: str) -> bool:
    """Cheap test: could ``text`` hold a placeholder or an escape?"""
    return "${" in text


def parse(text: str, *, where: str = "", line: int = 1, column: int = 1) -> list[str | Placeholder]:
    """Split ``text`` into literal parts and placeholders; escapes become ``${``.

    ``line``/``column`` give the position of ``text``'s first character in its file, so
    each placeholder carries its own position. Raises ``TemplateError`` naming ``where``.
    """
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() < pos:
            continue
        literal.append(text[pos : match.start()])
        if match.group() == "$${":
            literal.append("${")
            pos = match.end()
            continue
        body = _BODY.match(text, match.end())
        at_line, at_col = _position(text, match.start(), line, column)
        if body is None:
            raise TemplateError(
                f"{where}:{at_line}:{at_col}: bad placeholder {_excerpt(text, match.start())!r};"
                " write ${key} or ${key:-default} (keys are dotted names), or $${ for a literal ${"
            )
        if "".join(literal):
            parts.append("".join(literal))
        literal = []
        parts.append(Placeholder(body.group(1), body.group(2), at_line, at_col))
        pos = body.end()
    literal.append(text[pos:])
    if "".join(literal):
        parts.append("".join(literal))
    return parts


def escape(text: str) -> str:
    """Make ``text`` render literally: every ``${`` becomes ``$${``."""
    return text.replace("${", "$${")


def unescape_literal(parts: list[str | Placeholder]) -> str | None:
    """The text when ``parts`` hold no placeholder, else None."""
    if any(isinstance(p, Placeholder) for p in parts):
        return None
    return "".join(p for p in parts if isinstance(p, str))


def _position(text: str, offset: int, line: int, column: int) -> tuple[int, int]:
    newlines = text.count("\n", 0, offset)
    if newlines == 0:
        return line, column + offset
    return line + newlines, offset - text.rfind("\n", 0, offset)


def _excerpt(text: str, start: int) -> str:
    end = text.find("}", start)
    return text[start : end + 1 if end != -1 and end - start < 60 else start + 20]
