"""Writing template content back to a directory (the inverse of ``read_template_dir``)."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from kapstan.errors import ConflictError, InputError, TemplateError
from kapstan.templates.content import check_content


def write_template_dir(files: Mapping[str, str], path: str | os.PathLike[str]) -> None:
    """Write every file under ``path`` (created if needed), byte for byte as UTF-8.

    Content is checked first, so bad content writes nothing. An existing file with
    other content is overwritten; files not in ``files`` are left alone.
    """
    check_content(files)
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise TemplateError(f"{root}: exists and is not a directory")
    for rel in sorted(files):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[rel].encode("utf-8"))


def export_template_dir(files: Mapping[str, str], path: str | os.PathLike[str]) -> None:
    """Write ``files`` as the new directory ``path`` (or into an empty one), all or nothing.

    Every check runs first; the files are then written into a hidden folder next to
    ``path`` and renamed into place, so a failure half-way (disk full, a name the file
    system refuses) leaves no partial export behind. Errors name the folder and the cause.
    """
    check_content(files)
    root = Path(path)
    _check_target(root)
    parent = root.parent
    made = [p for p in (parent, *parent.parents) if not p.exists()]  # removed on failure
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # mkdir, not mkdtemp: the export keeps the user's umask, as a plain mkdir would.
        staging = parent / f".{root.name}.{secrets.token_hex(6)}.export"
        staging.mkdir()
    except OSError as err:
        _remove_empty(made)
        raise InputError(
            f"{root}: cannot create the export folder: {err.strerror or err}; "
            "choose a folder you can write"
        ) from None
    try:
        write_template_dir(files, staging)
        if root.is_dir():
            root.rmdir()  # empty (checked above): the export takes its place
        staging.rename(root)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(made)
        raise InputError(f"{root}: cannot write the export: {err.strerror or err}") from None


def _remove_empty(folders: list[Path]) -> None:
    """The folders an export created before failing, deepest first (only while empty)."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _check_target(root: Path) -> None:
    if root.is_symlink():  # renaming over it would replace the link, not fill its target
        raise InputError(f"{root}: is a symbolic link; export into a new or empty directory")
    if root.exists() and not root.is_dir():
        raise InputError(f"{root}: exists and is not a directory; export into a new or empty one")
    try:
        full = root.is_dir() and any(root.iterdir())
    except OSError as err:
        raise InputError(f"{root}: cannot read the folder: {err.strerror or err}") from None
    if full:
        raise ConflictError(f"{root}: directory is not empty; export into a new or empty one")
