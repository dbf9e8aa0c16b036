"""Template verbs: import a directory as a new version, show it, list its variables, export it."""

from __future__ import annotations

import os
from dataclasses import dataclass

from kapstan.actions.memo import Lru
from kapstan.actions.refs import Ref
from kapstan.actions.storeports import TemplateReads, TemplateWrites
from kapstan.errors import InputError
from kapstan.model.template import Template
from kapstan.render.variables import Variable, extract_variables
from kapstan.store import TemplateVersion
from kapstan.templates.content import template_digest
from kapstan.templates.exporter import export_template_dir
from kapstan.templates.loader import parse_template, read_template_dir


@dataclass(frozen=True)
class ImportResult:
    """The version saved, or (``created`` False) the latest one, which has the same content."""

    version: TemplateVersion
    created: bool
    services: tuple[str, ...] = ()  # the saved template's services, when parsed here


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
    store: TemplateWrites,
    path: str | os.PathLike[str],
    *,
    author: str,
    name: str | None = None,
    message: str = "",
) -> ImportResult:
    """Read, parse (every check) and save ``path`` as the next version of ``name``.

    ``name``, if given, must be the name in kapstan.yaml. Content equal to the latest
    version's saves nothing.
    """
    return save_files(store, read_template_dir(path), author=author, name=name, message=message)


def save_files(
    store: TemplateWrites,
    files: dict[str, str],
    *,
    author: str,
    name: str | None = None,
    message: str = "",
) -> ImportResult:
    """Parse ``files`` (every check) and save them as the next version of their template.

    The template's name is the one in kapstan.yaml; ``name``, when given (the CLI's
    ``--name``, the API's body), must agree with it, so the stored name and the
    ``kapstan.io/template`` annotation a deploy renders are always the same.
    """
    template = parse_template(files)
    check_template_name(name, template)
    version, created = store.save_template_version(
        template.name, files, template.digest, author=author, message=message
    )
    return ImportResult(version, created, tuple(template.services))


def check_template_name(requested: str | None, template: Template) -> str:
    """``template.name``, or InputError if ``requested`` names it otherwise."""
    if requested is not None and requested != template.name:
        raise InputError(
            f"template name {requested!r} differs from the name in kapstan.yaml "
            f"({template.name!r}); set `name: {requested}` in kapstan.yaml to store it under "
            "that name, or leave the name out"
        )
    return template.name


def load_template(store: TemplateReads, ref: Ref) -> TemplateDetails:
    """A stored template version, parsed."""
    stored = store.get_template(ref.name, ref.version)
    return TemplateDetails(stored, parsed(stored))


def parsed(stored: TemplateVersion) -> Template:
    """``parse_template`` of a stored version's files, parsed once per content per process.

    Parsing is pure and a version never changes, so the cache is keyed by what the parse
    depends on alone: the content digest, computed here from the files (a stored digest is
    the saver's word, and two stores in one process may hold different content under one
    name@version). Callers must treat the shared ``Template`` as the value it is.
    """
    files = dict(stored.files)
    return _PARSED.get(template_digest(files), lambda: parse_template(files))


def _size(template: Template) -> int:
    return sum(len(text) for text in template.files.values())


# Parsed templates (with their files): a few versions in use at once, however big they are.
_PARSED: Lru[str, Template] = Lru(max_entries=64, max_weight=32 * 1024 * 1024, weigh=_size)


def template_vars(store: TemplateReads, ref: Ref) -> TemplateVars:
    """Every key of a template version: its default and where it is used."""
    details = load_template(store, ref)
    return TemplateVars(details.version, tuple(extract_variables(details.template)))


def export_template(
    store: TemplateReads, ref: Ref, path: str | os.PathLike[str]
) -> TemplateVersion:
    """Write a template version's files under ``path`` (new or empty directory)."""
    stored = store.get_template(ref.name, ref.version)
    write_export(stored, path)
    return stored


def write_export(version: TemplateVersion, path: str | os.PathLike[str]) -> None:
    """Write ``version``'s files under ``path`` (new or empty), all or nothing."""
    export_template_dir(version.files, path)
