"""``/api/v1/templates``: list, one version with its variables or its files, history, import."""

from __future__ import annotations

from fastapi import APIRouter, Response

from kapstan import schemas
from kapstan.actions.refs import Ref
from kapstan.actions.templates import load_template, save_files
from kapstan.api import auditing, convert
from kapstan.api.auth import CallerDep
from kapstan.api.pagination import WindowDep, paged

router = APIRouter(prefix="/api/v1/templates", tags=["templates"])


@router.get("")
def list_templates(caller: CallerDep, at: WindowDep) -> schemas.Page[schemas.TemplateVersionOut]:
    return paged(caller.store.list_templates(), at, convert.template_version)


@router.get("/{name}")
def get_template(
    caller: CallerDep, name: str, version: schemas.StoredInt | None = None
) -> schemas.TemplateOut:
    return convert.template(load_template(caller.store, Ref(name, version)))


@router.get("/{name}/files")
def template_files(
    caller: CallerDep, name: str, version: schemas.StoredInt | None = None
) -> schemas.TemplateFilesOut:
    """A version's files (the latest by default), as an import sends them."""
    return convert.template_files(caller.store.get_template(name, version))


@router.get("/{name}/versions")
def template_history(
    caller: CallerDep, name: str, at: WindowDep
) -> schemas.Page[schemas.TemplateVersionOut]:
    return paged(caller.store.template_history(name), at, convert.template_version)


@router.post("", status_code=201, responses={200: {"description": "Unchanged content"}})
def import_template(
    caller: CallerDep, body: schemas.TemplateImport, response: Response
) -> schemas.TemplateImportOut:
    """Save ``files`` as the next version of ``name`` (nothing new if the content is equal)."""
    caller.template_writer()
    # Every check the CLI's import makes, and the name must be kapstan.yaml's (422 if not).
    result = save_files(
        caller.store, dict(body.files), author=caller.name, name=body.name, message=body.message
    )
    saved, created = result.version, result.created
    if created:
        previous = saved.version - 1 or None
        auditing.record(
            caller.store,
            caller.name,
            "template.import",
            kind="template",
            name=saved.name,
            from_version=previous,
            to_version=saved.version,
            details={"services": sorted(result.services)},
        )
    else:
        response.status_code = 200
    return schemas.TemplateImportOut(version=convert.template_version(saved), created=created)
