"""Reading config values from the command line (``key=value``) and from flat YAML files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import yaml

from kapstan.errors import InputError
from kapstan.model.values import Scalar, SecretValue, Value
from kapstan.render.placeholders import is_key
from kapstan.render.yamlnodes import (
    iter_documents,
    mapping_pairs,
    parse_scalar_text,
    position,
    scalar,
)

MAX_CONFIG_FILE_BYTES = 1024 * 1024


def check_key(key: str, where: str = "") -> str:
    if not is_key(key):
        prefix = f"{where}: " if where else ""
        raise InputError(
            f"{prefix}{key!r} is not a valid config key; use dotted names like catalog.replicas "
            "(letters, digits, '_' and '-')"
        )
    return key


def parse_assignments(pairs: Sequence[str], *, secret: bool = False) -> dict[str, Value]:
    """``["replicas=3", "tag=v1"]`` -> ``{"replicas": 3, "tag": "v1"}``.

    Values are YAML scalars (``3`` is an int, ``true`` a bool); with ``secret`` every value
    is a string kept as a SecretValue. Errors never repeat a value.
    """
    out: dict[str, Value] = {}
    for index, pair in enumerate(pairs, start=1):
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise InputError(f"argument {index} is not KEY=VALUE (e.g. catalog.replicas=3)")
        check_key(key, f"argument {index}")
        if key in out:
            raise InputError(f"key {key!r} is given twice")
        out[key] = SecretValue(text) if secret else parse_scalar_text(text)
    return out


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Scalar]:
    """A flat YAML map of scalars; errors name ``file:line:column`` and the key."""
    file = str(path)
    text = _read_text(Path(path))
    documents = list(iter_documents(text, file))
    if not documents:
        return {}
    if len(documents) > 1:
        raise InputError(f"{file}: expected one YAML document, found {len(documents)}")
    loader, _, root = documents[0]
    if not isinstance(root, yaml.MappingNode):
        line, col = position(root)
        raise InputError(f"{file}:{line}:{col}: expected a map of key: value")
    out: dict[str, Scalar] = {}
    for key, key_node, value_node in mapping_pairs(loader, root, file):
        line, col = position(key_node)
        where = f"{file}:{line}:{col}"
        check_key(key, where)
        if not isinstance(value_node, yaml.ScalarNode):
            shape = "a map" if isinstance(value_node, yaml.MappingNode) else "a list"
            raise InputError(
                f"{where}: key {key!r} holds {shape}; config values are scalars "
                "(write nested keys as dotted names, e.g. catalog.replicas: 3)"
            )
        out[key] = scalar(loader, value_node)
    return out


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CONFIG_FILE_BYTES + 1)  # more is refused below, unread
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_FILE_BYTES:
        raise InputError(f"{path}: larger than {MAX_CONFIG_FILE_BYTES} bytes")
    if b"\x00" in data:
        raise InputError(f"{path}: binary file (contains NUL bytes); a config file is YAML text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text (byte {err.start})") from None
