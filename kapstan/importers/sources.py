"""Reading import sources from disk with errors that name the file."""

from __future__ import annotations

from pathlib import Path

from kapstan.errors import InputError


def read_text(path: Path) -> str:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror}") from None
