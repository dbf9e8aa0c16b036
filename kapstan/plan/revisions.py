"""Making a Revision record from a rendered service (pure: the time is passed in)."""

from __future__ import annotations

from datetime import datetime

from kapstan.model.rendered import RenderedService
from kapstan.model.revision import Revision
from kapstan.render.hashing import service_yaml


def new_revision(
    service: RenderedService,
    *,
    app: str,
    number: int,
    template: tuple[str, int],
    config: tuple[str, int],
    created_at: datetime,
    author: str,
    message: str = "",
) -> Revision:
    """The revision to record after applying ``service``: redacted YAML + content hash.

    ``template`` and ``config`` are (name, version) pairs.
    """
    return Revision(
        app=app,
        service=service.name,
        number=number,
        manifests=service_yaml(service),
        hash=service.hash,
        template_name=template[0],
        template_version=template[1],
        config_name=config[0],
        config_version=config[1],
        created_at=created_at,
        author=author,
        message=message,
    )
