"""Canonical JSON, content hashes, and YAML text of rendered objects."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from kapstan.model.rendered import KubeObject, RenderedService
from kapstan.render.redaction import SECRET_FIELDS, is_secret, redact_objects


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is: equal data gives equal text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def keyed_digest(text: str, key: bytes) -> str:
    """HMAC-SHA256 of ``text``: with a secret ``key``, a digest nobody can brute-force."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def content_hash(objects: Sequence[KubeObject], *, key: bytes = b"") -> str:
    """``sha256:<hex>`` over the canonical JSON of ``objects`` (order matters).

    Secret values enter as ``keyed_digest(value, key)``: the hash changes with them, and
    with a non-empty ``key`` (e.g. derived from the store's secret key) the hash, which
    is stored and shown, cannot be used to guess a weak secret offline.
    """
    masked = [_mask_secret(obj, key) if is_secret(obj) else obj for obj in objects]
    return "sha256:" + hashlib.sha256(canonical_json(masked).encode("utf-8")).hexdigest()


def _mask_secret(obj: KubeObject, key: bytes) -> KubeObject:
    out = dict(obj)
    for name in SECRET_FIELDS:
        section = obj.get(name)
        if isinstance(section, dict):
            out[name] = {k: keyed_digest(str(v), key) for k, v in section.items()}
    return out


class _Dumper(yaml.CSafeDumper):
    """Block style (``|``) for multi-line strings, so file contents read as files."""


def _represent_str(dumper: _Dumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def objects_yaml(objects: Iterable[KubeObject], *, redact: bool = True) -> str:
    """Multi-document YAML, keys in manifest order; Secret values redacted unless asked."""
    shown = redact_objects(objects) if redact else list(objects)
    return yaml.dump_all(
        shown, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )


def service_yaml(service: RenderedService) -> str:
    """The redacted YAML of a rendered service: what a Revision stores as ``manifests``."""
    return objects_yaml(service.objects, redact=True)
