"""Templates on a Kapstan server. A template directory is read and parsed on this machine
(a bad template fails naming its file and line before anything is sent), then its files
are sent; showing or exporting a version fetches its files and parses them here, with the
code the local commands use. Apart from ``kapstan.cli.backend.templates`` so that the local
commands load neither the API's schemas nor the HTTP client.
"""

from __future__ import annotations

from pathlib import Path

from kapstan import schemas as s
from kapstan.actions import templates
from kapstan.actions.refs import Ref
from kapstan.actions.templates import ImportResult, TemplateDetails, TemplateVars
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.importers import ImportResult as Translation
from kapstan.render.variables import extract_variables
from kapstan.store import TemplateVersion
from kapstan.templates.loader import parse_template, read_template_dir


class RemoteTemplates:
    """The server records its caller as the author of an import."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def import_dir(
        self, directory: Path, *, author: str, name: str | None, message: str
    ) -> ImportResult:
        files = read_template_dir(directory)
        parsed = parse_template(files)  # the local import's checks, before sending anything
        return self._save(templates.check_template_name(name, parsed), files, message)

    def save_translation(self, result: Translation, *, author: str, message: str) -> ImportResult:
        return self._save(result.name, result.files, message)

    def history(self, name: str) -> list[TemplateVersion]:
        found = self.client.pages(path("templates", name, "versions"))
        return [decode.template_version(t) for t in found]

    def load(self, ref: Ref) -> TemplateDetails:
        stored = self._files(ref)
        return TemplateDetails(stored, parse_template(dict(stored.files)))

    def variables(self, ref: Ref) -> TemplateVars:
        details = self.load(ref)
        return TemplateVars(details.version, tuple(extract_variables(details.template)))

    def export(self, ref: Ref, directory: Path) -> TemplateVersion:
        stored = self._files(ref)
        templates.write_export(stored, directory)
        return stored

    def list(self) -> list[TemplateVersion]:
        return [decode.template_version(t) for t in self.client.pages(path("templates"))]

    def _save(self, name: str, files: dict[str, str], message: str) -> ImportResult:
        body = {"name": name, "files": files, "message": message}
        saved = decode.parse(s.TemplateImportOut, self.client.post(path("templates"), body))
        return ImportResult(decode.template_version(saved.version.model_dump()), saved.created)

    def _files(self, ref: Ref) -> TemplateVersion:
        answer = self.client.get(path("templates", ref.name, "files"), version=ref.version)
        v = decode.parse(s.TemplateFilesOut, answer)
        return TemplateVersion(
            name=v.name,
            version=v.version,
            files=v.files,
            digest=v.digest,
            author=v.author,
            message=v.message,
            created_at=v.created_at,
        )
