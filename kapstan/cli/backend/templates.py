"""Templates: import, list, history, show, variables, export; on the local store or a server.

The server's side is ``kapstan.cli.backend.remotetemplates``; it parses templates with
the same code, so the output is the same either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kapstan.actions import templates
from kapstan.actions.refs import Ref
from kapstan.actions.templates import ImportResult, TemplateDetails, TemplateVars
from kapstan.store import Store, TemplateVersion

if TYPE_CHECKING:
    from kapstan.importers import ImportResult as Translation  # `kapstan import` makes them


class TemplatesPort(Protocol):
    # In each class ``list`` follows the methods annotated ``list[...]``: it hides the builtin.

    def import_dir(
        self, directory: Path, *, author: str, name: str | None, message: str
    ) -> ImportResult: ...

    def save_translation(
        self, result: Translation, *, author: str, message: str
    ) -> ImportResult: ...

    def history(self, name: str) -> list[TemplateVersion]: ...

    def load(self, ref: Ref) -> TemplateDetails: ...

    def variables(self, ref: Ref) -> TemplateVars: ...

    def export(self, ref: Ref, directory: Path) -> TemplateVersion: ...

    def list(self) -> list[TemplateVersion]: ...


class LocalTemplates:
    def __init__(self, store: Store) -> None:
        self.store = store

    def import_dir(
        self, directory: Path, *, author: str, name: str | None, message: str
    ) -> ImportResult:
        return templates.import_template(
            self.store, directory, author=author, name=name, message=message
        )

    def save_translation(self, result: Translation, *, author: str, message: str) -> ImportResult:
        return templates.save_files(
            self.store, result.files, author=author, name=result.name or None, message=message
        )

    def history(self, name: str) -> list[TemplateVersion]:
        return self.store.template_history(name)

    def load(self, ref: Ref) -> TemplateDetails:
        return templates.load_template(self.store, ref)

    def variables(self, ref: Ref) -> TemplateVars:
        return templates.template_vars(self.store, ref)

    def export(self, ref: Ref, directory: Path) -> TemplateVersion:
        return templates.export_template(self.store, ref, directory)

    def list(self) -> list[TemplateVersion]:
        return self.store.list_templates()
