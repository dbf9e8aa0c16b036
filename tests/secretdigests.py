"""What an attacker could check guesses of a secret against: every digest of it made
without a key. Written from scratch (not with Kapstan's hashing code) so the tests that use
it stay a check on that code: the digests Kapstan made before its checksums were keyed
(HMAC with an empty key) are among them.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

CHECKSUM_ANNOTATION = "kapstan.io/config-checksum"


def canon(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hmac_empty(text: str) -> str:
    return hmac.new(b"", text.encode("utf-8"), hashlib.sha256).hexdigest()


def plain_digests(value: str) -> set[str]:
    """Digests and encodings of the value alone."""
    raw = value.encode("utf-8")
    out = {hashlib.new(name, raw).hexdigest() for name in ("md5", "sha1", "sha256", "sha512")}
    out |= {hmac_empty(value), base64.b64encode(raw).decode("ascii")}
    return {d for d in out if len(d) >= 8}


def unkeyed_digests(
    value: str, objects: Sequence[Mapping[str, Any]], app: str, service: str
) -> set[str]:
    """Digests of ``value`` alone, and the config checksum and content hash of ``service``'s
    rendered ``objects`` (the real ones, secret included) as an empty key would make them."""
    out = plain_digests(value)
    plain = _data(objects, "ConfigMap", f"{app}-{service}-config", "data")
    secret = _data(objects, "Secret", f"{app}-{service}-secret", "stringData")
    checksum = hmac_empty(canon([plain, secret]))
    out |= {checksum, hashlib.sha256(canon([plain, secret]).encode()).hexdigest()}
    unkeyed = copy.deepcopy([dict(o) for o in objects])
    for obj in unkeyed:
        for found in _annotations(obj):
            if CHECKSUM_ANNOTATION in found:
                found[CHECKSUM_ANNOTATION] = checksum
        if obj.get("kind") == "Secret":
            for field in ("data", "stringData"):
                if isinstance(obj.get(field), dict):
                    obj[field] = {k: hmac_empty(str(v)) for k, v in obj[field].items()}
    out.add("sha256:" + hashlib.sha256(canon(unkeyed).encode()).hexdigest())
    return out


def checksums(objects: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every ``kapstan.io/config-checksum`` annotation in ``objects``."""
    return [
        a[CHECKSUM_ANNOTATION] for o in objects for a in _annotations(o) if CHECKSUM_ANNOTATION in a
    ]


def _data(objects: Sequence[Mapping[str, Any]], kind: str, name: str, field: str) -> dict[str, Any]:
    for obj in objects:
        if obj.get("kind") == kind and obj.get("metadata", {}).get("name") == name:
            return dict(obj.get(field) or {})
    return {}


def _annotations(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        meta = node.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("annotations"), dict):
            yield meta["annotations"]
        for value in node.values():
            yield from _annotations(value)
    elif isinstance(node, list):
        for item in node:
            yield from _annotations(item)
