"""Templates: importing, versions, their services and variables, their files."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from kapstan.schemas.base import JsonScalar, Model


class TemplateImport(Model):
    name: str = Field(min_length=1, max_length=100)
    files: dict[str, str] = Field(description="Relative path -> text; must hold kapstan.yaml.")
    message: str = ""


class TemplateVersionOut(Model):
    name: str
    version: int
    digest: str
    author: str
    message: str
    created_at: datetime


class TemplateImportOut(Model):
    version: TemplateVersionOut
    created: bool


class VariableOut(Model):
    key: str
    has_default: bool
    default: JsonScalar
    services: list[str]


class ServiceSpecOut(Model):
    name: str
    manifests: list[str]
    depends_on: list[str]
    calls: list[str]
    delivered_keys: list[str]


class TemplateOut(TemplateVersionOut):
    services: list[ServiceSpecOut]
    files: list[str]
    variables: list[VariableOut]


class TemplateFilesOut(TemplateVersionOut):
    """A version with its content: what ``template export`` writes, as an import sends it."""

    files: dict[str, str] = Field(description="Relative path -> text.")
