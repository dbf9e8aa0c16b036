"""Reading YAML into nodes with positions, using PyYAML's C parser.

Nodes keep their line and column, so we get file:line:column errors at C parser speed
(ruamel.yaml is ~20x slower here and its positions buy us nothing more). They are composed
within limits by ``kapstan.render.yamlsafety``; every walk here is bounded by those.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from kapstan.errors import TemplateError
from kapstan.model.values import Scalar
from kapstan.render.yamlsafety import DEFAULT_LIMITS, Limits, compose_documents

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
_TYPED_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    NULL_TAG,
}


def iter_documents(
    text: str, file: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[tuple[yaml.CSafeLoader, int, yaml.Node]]:
    """Yield (loader, 1-based index, root node) for each non-empty document of ``text``.

    Composed within ``limits`` (size, documents, depth, alias expansion): see yamlsafety.
    """
    for loader, index, node in compose_documents(text, file, limits):
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG):
            continue
        yield loader, index, node


def position(node: yaml.Node) -> tuple[int, int]:
    """1-based (line, column) of a node's start."""
    return node.start_mark.line + 1, node.start_mark.column + 1


def scalar(loader: yaml.CSafeLoader, node: yaml.ScalarNode) -> Scalar:
    """A scalar node's value: int/float/bool/null typed, everything else as its text."""
    if node.tag in _TYPED_TAGS:
        try:
            value: Scalar = loader.construct_object(node)
        except ValueError:  # resolved as a number but not one: ``0x_``, ``0b_``
            return str(node.value)
        return value
    return str(node.value)


def mapping_pairs(
    loader: yaml.CSafeLoader, node: yaml.MappingNode, file: str
) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key text, key node, value node) for a mapping; merges resolved, duplicates refused."""
    loader.flatten_mapping(node)
    seen: set[str] = set()
    pairs: list[tuple[str, yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        line, col = position(key_node)
        if not isinstance(key_node, yaml.ScalarNode):
            raise TemplateError(f"{file}:{line}:{col}: mapping keys must be plain scalars")
        key: str = key_node.value if key_node.tag == STR_TAG else str(scalar(loader, key_node))
        if key in seen:
            raise TemplateError(f"{file}:{line}:{col}: duplicate key {key!r}")
        seen.add(key)
        pairs.append((key, key_node, value_node))
    return pairs


def to_data(loader: yaml.CSafeLoader, node: yaml.Node, file: str) -> Any:
    """Plain data (dict/list/scalars) from a node."""
    if isinstance(node, yaml.MappingNode):
        return {k: to_data(loader, v, file) for k, _, v in mapping_pairs(loader, node, file)}
    if isinstance(node, yaml.SequenceNode):
        return [to_data(loader, item, file) for item in node.value]
    assert isinstance(node, yaml.ScalarNode)
    return scalar(loader, node)


def load_data(text: str, file: str, limits: Limits = DEFAULT_LIMITS) -> list[Any]:
    """Plain data of each non-empty document, read within ``limits``: the safe_load_all
    of every Kapstan reader (duplicate keys refused, timestamps kept as text)."""
    return [to_data(loader, node, file) for loader, _, node in iter_documents(text, file, limits)]


def parse_scalar_text(text: str) -> Scalar:
    """Read ``text`` as a YAML scalar (``3`` -> 3, ``true`` -> True); non-scalars stay text."""
    if text == "":
        return ""
    try:
        documents = list(iter_documents(text, "value"))
    except TemplateError:  # not YAML, or over a limit: plain text
        return text
    if not documents:
        return None
    loader, _, node = documents[0]
    if len(documents) > 1 or not isinstance(node, yaml.ScalarNode):
        return text
    if node.tag not in _TYPED_TAGS and node.tag != STR_TAG:  # !!timestamp, !!binary...
        return text
    return scalar(loader, node)
