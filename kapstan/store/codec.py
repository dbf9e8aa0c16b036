"""Config values to rows and back: plain scalars as JSON text, secrets as Fernet tokens.

A secret's plaintext never reaches a row; ints stay ints, floats floats, bools bools.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping

from kapstan.errors import InputError
from kapstan.model.values import SecretValue, Value
from kapstan.store.crypto import SecretBox
from kapstan.store.tables import ConfigValueRow

MAX_KEY_LENGTH = 253
BoxSource = Callable[[], SecretBox]
StoredColumns = tuple[str, bool, str | None, str | None]  # key, secret, value_json, ciphertext


def encode(config: str, values: Mapping[str, Value], box: BoxSource) -> list[ConfigValueRow]:
    """Rows for ``values`` of config ``config`` (key order kept stable: sorted)."""
    return [_encode_one(config, key, values[key], box) for key in sorted(values)]


def decode(what: str, rows: Iterable[ConfigValueRow], box: BoxSource) -> dict[str, Value]:
    """Values from rows; ``what`` names the config version in key errors."""
    return decode_columns(
        what, ((row.key, row.secret, row.value_json, row.ciphertext) for row in rows), box
    )


def decode_columns(what: str, rows: Iterable[StoredColumns], box: BoxSource) -> dict[str, Value]:
    """``decode`` for rows selected as columns: (key, secret, value_json, ciphertext)."""
    values: dict[str, Value] = {}
    for key, secret, value_json, ciphertext in rows:
        if secret:
            values[key] = SecretValue(_opener(box, ciphertext or "", key, what))
        else:
            values[key] = json.loads(value_json or "null")
    return values


def _opener(box: BoxSource, token: str, key: str, what: str) -> Callable[[], str]:
    """Decrypts ``token`` when first revealed: reads that show no secret need no key."""
    return lambda: box().decrypt(token, f"secret {key!r} of {what}")


def _encode_one(config: str, key: str, value: Value, box: BoxSource) -> ConfigValueRow:
    _check_key(config, key)
    if isinstance(value, SecretValue):
        token = box().encrypt(value.reveal())
        return ConfigValueRow(key=key, secret=True, ciphertext=token, value_json=None)
    if value is not None and not isinstance(value, str | int | float | bool):
        raise InputError(
            f"config {config!r} key {key!r}: a value must be a string, number, boolean, "
            f"null or secret, not {type(value).__name__}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"config {config!r} key {key!r}: {value} is not a finite number")
    return ConfigValueRow(key=key, secret=False, ciphertext=None, value_json=json.dumps(value))


def _check_key(config: str, key: str) -> None:
    if not isinstance(key, str) or not key.strip():
        raise InputError(f"config {config!r} has an empty key")
    if len(key) > MAX_KEY_LENGTH:
        raise InputError(
            f"config {config!r} key {key[:40]!r}... is longer than {MAX_KEY_LENGTH} characters"
        )
