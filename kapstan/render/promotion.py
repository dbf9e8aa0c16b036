"""Which config keys travel with a promotion.

A promotion moves an application's template version to the next environment; the values
that make the tested build (its image tags, typically per-environment keys) must move with
it, or prod runs an older image than the one tested. A template names them in
``promote: [key, ...]``; without that list they are the keys its image references use
(``image: shop/api:${api.image.tag}``).
"""

from __future__ import annotations

import re

from kapstan.model.template import Template

_IMAGE_FIELD = re.compile(
    r"(?:^|\.)(?:initContainers|containers|ephemeralContainers)\[\d+\]\.image\Z"
)


def promoted_keys(template: Template) -> tuple[str, ...]:
    """The template's ``promote`` keys, or the keys of its image references, sorted."""
    if template.promote is not None:
        return template.promote
    return tuple(
        sorted(
            {
                holder.key
                for spec in template.services.values()
                for doc in spec.documents
                for site in doc.slots
                if _IMAGE_FIELD.search(site.field)
                for holder in site.slot.placeholders
            }
        )
    )
