"""Keys Kapstan fills itself at render time: ``${kapstan.namespace}``; generated secrets.

A manifest that must name its own namespace (a host name ``db.<ns>.svc.cluster.local`` in
a ConfigMap, a RoleBinding subject) writes ``${kapstan.namespace}``: the environment's
namespace, whatever it is. Built-in keys are not config keys: they are never extracted as
variables, and a config cannot set them (the environment decides).

A config key whose value is ``GENERATE`` (``kapstan:generate``, e.g. a template's default
for a chart's random password) renders as a secret derived from the store's checksum key,
the application and the namespace (HMAC-SHA256): different in every environment, the
same on every deploy of one, never stored. Setting the key (``config set --secret``)
replaces it; rotating the store's secret key changes it, as it changes every checksum.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from kapstan.errors import SecretKeyError
from kapstan.model.values import SecretValue, Value

NAMESPACE_KEY = "kapstan.namespace"
BUILTIN_KEYS = frozenset({NAMESPACE_KEY})
GENERATE = "kapstan:generate"
GENERATED_LENGTH = 24


def builtin_values(namespace: str) -> dict[str, Value]:
    """The built-in keys' values for one render."""
    return {NAMESPACE_KEY: namespace}


def is_builtin(key: str) -> bool:
    return key in BUILTIN_KEYS


def with_generated(
    values: Mapping[str, Value], *, app: str, namespace: str, hash_key: bytes | None
) -> dict[str, Value]:
    """``values`` with each ``GENERATE`` value replaced by its derived secret."""
    return {
        key: _generated(key, app, namespace, hash_key) if value == GENERATE else value
        for key, value in values.items()
    }


def _generated(key: str, app: str, namespace: str, hash_key: bytes | None) -> SecretValue:
    def derive() -> str:
        if hash_key is None:
            raise SecretKeyError(
                f"key {key} is generated (kapstan:generate) from the store's secret key: set "
                "KAPSTAN_SECRET_KEY, or set the key yourself with `kapstan config set --secret`"
            )
        digest = hmac.new(hash_key, f"{app}/{namespace}/{key}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode()[:GENERATED_LENGTH]

    return SecretValue(derive)
