"""A template version's content: relative path -> text. Limits, checks and the digest."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from kapstan.errors import TemplateError
from kapstan.model.filenames import check_file_name, check_file_names

MAX_FILE_BYTES = 1024 * 1024
MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
MAX_FILES = 2000


def template_digest(files: Mapping[str, str]) -> str:
    """sha256 over sorted (path, content) pairs; equal content gives an equal digest."""
    digest = hashlib.sha256()
    for path in sorted(files):
        for part in (path, files[path]):
            data = part.encode("utf-8")
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
    return digest.hexdigest()


def file_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_path(path: str) -> str:
    """A safe relative POSIX path in normal form (``model.filenames``); TemplateError otherwise."""
    return check_file_name(path)


def check_text(path: str, text: str) -> None:
    """Refuse binary text (NUL bytes) and files over MAX_FILE_BYTES."""
    if "\x00" in text:
        raise TemplateError(f"{path}: binary file (contains NUL bytes); templates hold text only")
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise TemplateError(f"{path}: file larger than {MAX_FILE_BYTES} bytes")


def decode(path: str, data: bytes) -> str:
    """Bytes of a template file as text; binary or non-UTF-8 content is refused by name."""
    if len(data) > MAX_FILE_BYTES:
        raise TemplateError(f"{path}: file larger than {MAX_FILE_BYTES} bytes")
    if b"\x00" in data:
        raise TemplateError(f"{path}: binary file (contains NUL bytes); templates hold text only")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise TemplateError(
            f"{path}: not UTF-8 text (byte {err.start}); templates hold text only"
        ) from None


def check_content(files: Mapping[str, str]) -> None:
    """All content checks: paths, per-file limits, total size, file count."""
    if len(files) > MAX_FILES:
        raise TemplateError(f"template has {len(files)} files; the limit is {MAX_FILES}")
    check_file_names(files)
    total = 0
    for path, text in files.items():
        check_text(path, text)
        total += len(text.encode("utf-8"))
    if total > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"template is {total} bytes; the limit is {MAX_TEMPLATE_BYTES}")
