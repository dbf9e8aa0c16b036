"""Reading a template directory from disk (the only file reads of template handling).

Only ``kapstan.yaml`` and the files its services' manifest patterns match are read, and
only inside the folder: a symbolic link leaving it is refused (``kapstan.templates.folders``).
Parsing is pure and lives in ``kapstan.templates.parser``; ``parse_template`` is
re-exported here for callers that load and parse together.
"""

from __future__ import annotations

import os
from pathlib import Path

from kapstan.errors import TemplateError
from kapstan.model.template import TEMPLATE_FILE, Template
from kapstan.render.yamlnodes import iter_documents, to_data
from kapstan.templates import globs
from kapstan.templates.content import MAX_FILE_BYTES, MAX_TEMPLATE_BYTES, check_path, decode
from kapstan.templates.folders import resolve_inside
from kapstan.templates.parser import parse_template

__all__ = ["load_template_dir", "parse_template", "read_template_dir"]


def read_template_dir(path: str | os.PathLike[str]) -> dict[str, str]:
    """The content of a template directory: relative POSIX path -> text."""
    root = Path(path)
    if not (root / TEMPLATE_FILE).is_file():
        raise TemplateError(f"{root}: no {TEMPLATE_FILE} found; a template directory needs one")
    files = {TEMPLATE_FILE: _read(root, TEMPLATE_FILE)}
    available = _list_files(root)
    total = len(files[TEMPLATE_FILE])
    for pattern in _patterns(files[TEMPLATE_FILE]):
        check_path(pattern.removeprefix("./"))
        for rel in globs.match(pattern, available):
            if rel not in files:
                files[rel] = _read(root, rel)
                total += len(files[rel])
                if total > MAX_TEMPLATE_BYTES:
                    raise TemplateError(f"{root}: template larger than {MAX_TEMPLATE_BYTES} bytes")
    return files


def load_template_dir(path: str | os.PathLike[str]) -> Template:
    """Read and parse a template directory: ``parse_template(read_template_dir(path))``."""
    return parse_template(read_template_dir(path))


def _read(root: Path, rel: str) -> str:
    """One file's text; a link leaving the template folder is refused (``folders``)."""
    target = resolve_inside(root, root / rel)
    if not target.is_file():
        raise TemplateError(f"{rel}: not a regular file; templates hold text files only")
    try:
        with target.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)  # decode refuses more; a huge file is not read
    except OSError as err:
        raise TemplateError(f"{rel}: cannot read: {err.strerror or err}") from None
    return decode(rel, data)


def _list_files(root: Path) -> list[str]:
    out = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            rel = (Path(folder) / name).relative_to(root).as_posix()
            if rel != TEMPLATE_FILE:
                out.append(rel)
    return sorted(out)


def _patterns(text: str) -> list[str]:
    """Manifest patterns named in kapstan.yaml, read leniently; the parser validates fully."""
    patterns: list[str] = []
    for loader, _, node in iter_documents(text, TEMPLATE_FILE):
        data = to_data(loader, node, TEMPLATE_FILE)
        services = data.get("services") if isinstance(data, dict) else None
        for spec in (services or {}).values() if isinstance(services, dict) else ():
            manifests = spec.get("manifests") if isinstance(spec, dict) else None
            items = [manifests] if isinstance(manifests, str) else manifests
            if isinstance(items, list):  # `manifests: 42` is the parser's to name
                patterns.extend(item for item in items if isinstance(item, str) and item)
    return patterns
