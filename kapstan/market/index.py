"""A catalog's index (``market.yaml``) and README summaries. Pure: text in, values out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapstan.errors import InputError, TemplateError
from kapstan.render.placeholders import is_key
from kapstan.render.yamlnodes import load_data

INDEX_FILE = "market.yaml"
README_FILE = "README.md"
_ENTRY_FIELDS = ("description", "secrets")


@dataclass(frozen=True)
class IndexEntry:
    """What the index says of one template: a one-line description and its secret keys."""

    description: str = ""
    secrets: tuple[str, ...] = ()


def parse_index(text: str, where: str) -> dict[str, IndexEntry]:
    """``templates: {name: {description, secrets}}``; errors name ``where`` and the entry."""
    try:
        documents = load_data(text, where)
    except TemplateError as exc:
        raise InputError(f"{exc} (the index is not valid YAML)") from None
    if not documents:
        return {}
    if len(documents) > 1:
        raise InputError(f"{where}: expected one YAML document, found {len(documents)}")
    data = documents[0]
    if not isinstance(data, dict) or set(data) - {"templates"}:
        raise InputError(f"{where}: expected a mapping with one field, 'templates'")
    entries = data.get("templates") or {}
    if not isinstance(entries, dict):
        raise InputError(f"{where}: 'templates' must map template names to entries")
    return {
        str(name): _entry(entry, f"{where}: template {name!r}") for name, entry in entries.items()
    }


def _entry(raw: Any, where: str) -> IndexEntry:
    if raw is None:
        return IndexEntry()
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a mapping with {', '.join(_ENTRY_FIELDS)}")
    unknown = [str(k) for k in raw if k not in _ENTRY_FIELDS]
    if unknown:
        raise InputError(
            f"{where}: unknown field {unknown[0]!r}; expected one of: {', '.join(_ENTRY_FIELDS)}"
        )
    secrets = raw.get("secrets") or []
    if not isinstance(secrets, list) or not all(isinstance(k, str) and is_key(k) for k in secrets):
        raise InputError(f"{where}: secrets must be a list of config keys (a.b-c.d_e)")
    return IndexEntry(str(raw.get("description") or "").strip(), tuple(secrets))


def readme_summary(text: str) -> str:
    """The first non-empty line of a README, without its Markdown heading marks."""
    for line in text.splitlines():
        stripped = line.strip().lstrip("#").strip()
        if stripped:
            return stripped
    return ""
