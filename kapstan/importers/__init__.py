"""Importers: docker-compose files, plain manifests and Helm charts into Kapstan templates.

Each importer returns an ``ImportResult``: the template content (path -> text, always
accepted by ``parse_template``), the config keys it made (also the template's ``config:``
block) and a report of everything it could not translate, each line naming the source
file, service and key. Nothing is dropped silently.
"""

from __future__ import annotations

from kapstan.importers.compose import import_compose
from kapstan.importers.helm import import_helm
from kapstan.importers.manifests import import_manifests
from kapstan.importers.result import ImportResult

__all__ = ["ImportResult", "import_compose", "import_helm", "import_manifests"]
