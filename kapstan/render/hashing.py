"""Canonical JSON, content hashes, and YAML text of rendered objects."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from kapstan.errors import SecretKeyError
from kapstan.model.rendered import KubeObject, RenderedService
from kapstan.render.redaction import SECRET_FIELDS, is_secret, redact_objects

# The core cannot import the store's wording (kapstan.store.crypto); this says the same.
KEY_NEEDED = (
    "set KAPSTAN_SECRET_KEY to a key made by `kapstan secret-key generate` "
    "(digests of secret values are keyed by a key derived from it)"
)


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is: equal data gives equal text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def keyed_digest(text: str, key: bytes) -> str:
    """HMAC-SHA256 of ``text``: with a secret ``key``, a digest nobody can brute-force."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def content_hash(objects: Sequence[KubeObject], *, key: bytes | None = None) -> str:
    """``sha256:<hex>`` over the canonical JSON of ``objects`` (order matters).

    Secret values enter as ``keyed_digest(value, key)``: the hash changes with them, and,
    ``key`` being secret (derived from the store's secret key), the hash, which is stored
    and shown, cannot be used to check guesses of a weak secret offline. Objects holding
    secret values without a ``key`` are refused (SecretKeyError): an unkeyed digest of a
    secret is never made. Objects without secret values hash the same whatever the key.
    """
    if not key and any(holds_secret_values(obj) for obj in objects):
        raise SecretKeyError(f"a Secret's content hash needs a key; {KEY_NEEDED}")
    masked = [_mask_secret(obj, key or b"") if is_secret(obj) else obj for obj in objects]
    return "sha256:" + hashlib.sha256(canonical_json(masked).encode("utf-8")).hexdigest()


def holds_secret_values(obj: KubeObject) -> bool:
    """A Secret with at least one value under ``data``/``stringData``."""
    return is_secret(obj) and any(
        isinstance(obj.get(name), dict) and obj[name] for name in SECRET_FIELDS
    )


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
