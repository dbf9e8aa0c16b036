"""Revisions: what was applied to one service, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Revision:
    """One deploy of one service.

    ``manifests`` is the rendered YAML with Secret values redacted (safe to store and
    show); ``hash`` is the content hash of the real rendered objects. A rollback renders
    again from ``template_*`` and ``config_*``, which are immutable versions, so secret
    values never need to be kept in a revision.
    """

    app: str
    service: str
    number: int
    manifests: str
    hash: str
    template_name: str
    template_version: int
    config_name: str
    config_version: int
    created_at: datetime
    author: str
    message: str = ""

    @property
    def label(self) -> str:
        return f"{self.app}/{self.service}@{self.number}"
