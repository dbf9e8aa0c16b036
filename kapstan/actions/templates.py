"""Template verbs: import a directory as a new version, show it, list its variables, export it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kapstan.actions.refs import Ref
from kapstan.errors import ConflictError
from kapstan.model.template import Template
from kapstan.render.variables import Variable, extract_variables
from kapstan.store import Store, TemplateVersion
from kapstan.templates.exporter import write_template_dir
from kapstan.templates.loader import parse_template, read_template_dir


@dataclass(frozen=True)
class ImportResult:
    """The version saved, or (``created`` False) the latest one, which has the same content."""

    version: TemplateVersion
    created: bool


@dataclass(frozen=True)
class TemplateDetails:
    """A stored version and its parsed form (services, graph, config block)."""

    version: TemplateVersion
    template: Template


@dataclass(frozen=True)
class TemplateVars:
    version: TemplateVersion
    variables: tuple[Variable, ...]


def import_template(
    store: Store,
    path: str | os.PathLike[str],
    *,
    author: str,
    name: str | None = None,
    message: str = "",
) -> ImportResult:
    """Read, parse (every check) and save ``path`` as the next version of ``name``.

    ``name`` defaults to the name in kapstan.yaml. Content equal to the latest version's
    saves nothing.
    """
    files = read_template_dir(path)
    template = parse_template(files)
    version, created = store.save_template_version(
        name or template.name, files, template.digest, author=author, message=message
    )
    return ImportResult(version, created)


def load_template(store: Store, ref: Ref) -> TemplateDetails:
    """A stored template version, parsed."""
    stored = store.get_template(ref.name, ref.version)
    return TemplateDetails(stored, parse_template(dict(stored.files)))


def template_vars(store: Store, ref: Ref) -> TemplateVars:
    """Every key of a template version: its default and where it is used."""
    details = load_template(store, ref)
    return TemplateVars(details.version, tuple(extract_variables(details.template)))


def export_template(store: Store, ref: Ref, path: str | os.PathLike[str]) -> TemplateVersion:
    """Write a template version's files under ``path`` (new or empty directory)."""
    stored = store.get_template(ref.name, ref.version)
    write_export(stored, path)
    return stored


def write_export(version: TemplateVersion, path: str | os.PathLike[str]) -> None:
    """Write ``version``'s files under ``path``, which must be new or empty."""
    root = Path(path)
    if root.is_dir() and any(root.iterdir()):
        raise ConflictError(f"{root}: directory is not empty; export into a new or empty one")
    write_template_dir(version.files, root)
