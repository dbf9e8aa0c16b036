"""Saving an import as the next version of its template."""

from __future__ import annotations

from kapstan.importers.result import ImportResult
from kapstan.store import Store, TemplateVersion
from kapstan.templates.content import template_digest


def save_import(
    store: Store, result: ImportResult, *, author: str, message: str = ""
) -> tuple[TemplateVersion, bool]:
    """(version, created): unchanged content saves nothing, like ``template import``."""
    return store.save_template_version(
        result.name, result.files, template_digest(result.files), author=author, message=message
    )
