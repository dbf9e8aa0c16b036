"""Writing template content back to a directory (the inverse of ``read_template_dir``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kapstan.errors import TemplateError
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
