"""What a template file may be called: the one rule for every name that reaches the store.

A template version's content is ``{relative path: text}``. Its paths come from a folder on
disk (``template import``, the market), from a JSON body (the API) or from an importer, and
go back to disk on ``template export``; so each must be a path every front door can write:

- relative POSIX (``/`` between folders; no leading ``/``, no backslash: ``a\\b`` means one
  file on Linux and two folders on Windows, so it is refused rather than guessed);
- in normal form: no ``.``, ``..`` or empty segment (``a//b``, ``./a``, ``a/``);
- no control or format character (NUL, newline, escape, bidi overrides): they cut names short
  in C APIs, forge lines in logs and terminals, and make look-alike names;
- at most MAX_SEGMENT_BYTES per segment (the file systems' NAME_MAX) and MAX_NAME_BYTES
  in all, as UTF-8.

A set of names must also be writable together: no file is a folder of another
(``a`` and ``a/b``). Pure: errors name the file and say what to write instead.
"""

from __future__ import annotations

import posixpath
import unicodedata
from collections.abc import Iterable

from kapstan.errors import TemplateError

MAX_SEGMENT_BYTES = 255
MAX_NAME_BYTES = 1024
# Cc control, Cf format (bidi overrides, zero-width), Cs lone surrogates (not encodable),
# Zl/Zp line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def shown(name: str) -> str:
    """``name`` as an error prints it: quoted with escapes when it holds unprintable text."""
    return name if name.isprintable() and name.strip() == name and name else repr(name)


def check_file_name(name: object) -> str:
    """Return ``name`` if it is a safe relative file name; else TemplateError naming it."""
    if not isinstance(name, str):
        raise TemplateError(f"{name!r}: a template file name must be text")
    if not name:
        raise TemplateError("'': template paths must be relative paths naming a file, not empty")
    _check_characters(name)
    if name.startswith("/") or ".." in name.split("/"):
        raise TemplateError(
            f"{shown(name)}: template paths must be relative and stay inside the template "
            "(no leading '/', no '..')"
        )
    normal = posixpath.normpath(name)
    if normal == ".":
        raise TemplateError(f"{shown(name)}: template paths must name a file, not the folder")
    if normal != name:
        raise TemplateError(f"{shown(name)}: write template paths in normal form ({normal})")
    _check_length(name)
    return name


def check_file_names(names: Iterable[str]) -> None:
    """Every name checked, and none a folder of another (both could not be written)."""
    every = set()
    for name in names:
        every.add(check_file_name(name))
    for name in sorted(every):
        parts = name.split("/")
        for end in range(1, len(parts)):
            folder = "/".join(parts[:end])
            if folder in every:
                raise TemplateError(
                    f"{shown(name)}: {shown(folder)} is a file of the template, so it cannot "
                    "also be a folder; rename one of them"
                )


def _check_characters(name: str) -> None:
    if "\\" in name:
        raise TemplateError(
            f"{shown(name)}: template paths use '/' between folders; backslashes are refused"
        )
    for index, char in enumerate(name):
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise TemplateError(
                f"{shown(name)}: file name holds control character U+{ord(char):04X} "
                f"at position {index + 1}; use printable characters only"
            )


def _check_length(name: str) -> None:
    size = len(name.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        raise TemplateError(
            f"{shown(name[:40])}...: file name is {size} bytes long; the limit is {MAX_NAME_BYTES}"
        )
    for part in name.split("/"):
        if len(part.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise TemplateError(
                f"{shown(name[:40])}...: a folder or file name is longer than "
                f"{MAX_SEGMENT_BYTES} bytes; shorten it"
            )
