"""The proof of equivalence: an import's template, rendered, against what its source renders to.

The template is rendered with its own defaults for application ``result.name`` in namespace
``PROOF_NAMESPACE`` (pure: nothing is deployed), normalized with ``equivalence`` beside the
source's objects, and what still differs becomes ``ImportResult.differences``, printed as a
section of the import report. A template that does not render with its defaults is one
difference naming why.
"""

from __future__ import annotations

from dataclasses import replace

from kapstan.errors import KapstanError
from kapstan.importers.equivalence import differences
from kapstan.importers.names import dns_label
from kapstan.importers.result import ImportResult
from kapstan.render.render import render_app
from kapstan.templates.parser import parse_template

PROOF_NAMESPACE = "kapstan-proof"
# Keys the content hashes of rendered Secrets; the hashes are not used here, so any key does.
_HASH_KEY = b"kapstan-proof-of-equivalence"


def prove(result: ImportResult, *, source_namespace: str = "") -> ImportResult:
    """``result`` with ``differences`` filled (``source_namespace``: the one the source used)."""
    try:
        template = parse_template(result.files)
        rendered = render_app(
            template,
            {},
            app=dns_label(result.name or template.name, "app"),
            namespace=PROOF_NAMESPACE,
            hash_key=_HASH_KEY,
        )
    except KapstanError as err:
        return replace(
            result, differences=(f"the template does not render with its defaults: {err}",)
        )
    objects = [obj for service in rendered.services.values() for obj in service.objects]
    found = differences(
        result.source_objects,
        objects,
        source_namespace=source_namespace,
        template_namespace=PROOF_NAMESPACE,
    )
    return replace(result, differences=tuple(str(d) for d in found))
