"""The proof of equivalence: an import's template, rendered, against what its source renders to.

The template is rendered with its own defaults (a secret stand-in for each key delivered
by ``env:``/``files:`` that has none: secrets are set per environment) for application ``result.name`` in namespace
``PROOF_NAMESPACE`` (pure: nothing is deployed), its config delivery undone, normalized
with ``equivalence`` beside the source's objects, and what still differs becomes
``ImportResult.differences``, printed as a section of the import report. A template that
does not render with its defaults is one difference naming why.
"""

from __future__ import annotations

from dataclasses import replace

from kapstan.errors import KapstanError
from kapstan.importers.equivalence import differences, inline_delivery, ref_of
from kapstan.importers.names import dns_label
from kapstan.importers.result import ImportResult
from kapstan.model.rendered import KubeObject
from kapstan.model.template import Template
from kapstan.model.values import SecretValue, Value
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
            _stand_ins(template),
            app=dns_label(result.name or template.name, "app"),
            namespace=PROOF_NAMESPACE,
            hash_key=_HASH_KEY,
        )
    except KapstanError as err:
        failed = f"the template does not render with its defaults: {err}"
        return replace(result, differences=(failed,))
    objects: list[KubeObject] = []
    generated: set[str] = set()
    for service in rendered.services.values():
        objects += service.objects
        generated |= {
            ref_of(obj)
            for obj, origin in zip(service.objects, service.origins, strict=False)
            if origin.startswith("generated for ")
        }
    found = differences(
        result.source_objects,
        inline_delivery(objects, generated),
        source_namespace=source_namespace,
        template_namespace=PROOF_NAMESPACE,
    )
    return replace(result, differences=tuple(str(d) for d in found))


def _stand_ins(template: Template) -> dict[str, Value]:
    """A secret stand-in for each key delivered by env/files with no default: such keys are
    secrets, set per environment. A placeholder with no default stays undefined (an error)."""
    delivered = {key for spec in template.services.values() for key in spec.delivered_keys}
    return {key: SecretValue("") for key in sorted(delivered - set(template.config))}
