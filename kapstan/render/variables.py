"""Variables extracted from a template: every key, its default, and where it is used.

A key is used by a placeholder in a manifest, or by a service's ``env``/``files`` in
kapstan.yaml. Its default is the first placeholder default in (file, line) order (typed
when the placeholder is a whole plain scalar); the ``config:`` block overrides it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kapstan.model.manifest import Placeholder
from kapstan.model.template import TEMPLATE_FILE, Template
from kapstan.model.values import Scalar
from kapstan.render.builtins import is_builtin


@dataclass(frozen=True, order=True)
class Use:
    """One use of a key: ``field`` is the manifest field path, or ``env``/``files``."""

    file: str
    line: int
    service: str
    field: str


@dataclass(frozen=True)
class Variable:
    key: str
    has_default: bool
    default: Scalar
    uses: tuple[Use, ...]

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(sorted({u.service for u in self.uses}))


def extract_variables(template: Template) -> list[Variable]:
    """Every key the template uses (plus those only in ``config:``), sorted by key."""
    uses: dict[str, list[Use]] = {}
    defaults: dict[str, list[tuple[str, int, Scalar]]] = {}
    for spec in template.services.values():
        for doc in spec.documents:
            for site in doc.slots:
                for holder in site.slot.placeholders:
                    if is_builtin(holder.key):
                        continue  # filled by Kapstan, not a config key
                    uses.setdefault(holder.key, []).append(
                        Use(doc.file, holder.line, spec.name, site.field)
                    )
                    if holder.default is not None:
                        value = site.slot.typed_default if site.slot.whole else holder.default
                        defaults.setdefault(holder.key, []).append((doc.file, holder.line, value))
        for key, line, kind in [
            *((b.key, b.line, "env") for b in spec.env),
            *((b.key, b.line, "files") for b in spec.files),
        ]:
            uses.setdefault(key, []).append(Use(TEMPLATE_FILE, line, spec.name, kind))
    for key in template.config:
        uses.setdefault(key, [])
    return [_variable(key, uses[key], defaults.get(key, []), template) for key in sorted(uses)]


def _variable(
    key: str, uses: list[Use], defaults: list[tuple[str, int, Scalar]], template: Template
) -> Variable:
    if key in template.config:
        return Variable(key, True, template.config[key], tuple(sorted(uses)))
    if defaults:
        return Variable(
            key, True, min(defaults, key=lambda d: (d[0], d[1]))[2], tuple(sorted(uses))
        )
    return Variable(key, False, None, tuple(sorted(uses)))


def default_config(template: Template) -> dict[str, Scalar]:
    """The template's default config: extracted placeholder defaults + the ``config:`` block."""
    return {v.key: v.default for v in extract_variables(template) if v.has_default}


def required_keys(template: Template) -> list[str]:
    """Keys with no default anywhere: a config must set them."""
    return [v.key for v in extract_variables(template) if not v.has_default]


__all__ = ["Placeholder", "Use", "Variable", "default_config", "extract_variables", "required_keys"]
