"""Reading import sources from disk with errors that name the file."""

from __future__ import annotations

from pathlib import Path

from kapstan.errors import InputError
from kapstan.render.yamlsafety import DEFAULT_LIMITS


def read_text(path: Path, max_bytes: int = DEFAULT_LIMITS.max_bytes) -> str:
    """A source file's text; one over ``max_bytes`` is refused before it is read."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        if path.stat().st_size > max_bytes:
            raise InputError(
                f"{path}: larger than {max_bytes} bytes, the limit for one file; split it"
            )
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror}") from None
