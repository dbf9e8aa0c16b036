"""Reading YAML into nodes with positions, using PyYAML's C parser.

The C composer keeps each node's line and column, so we get file:line:column errors at
C speed (ruamel.yaml is ~20x slower here and its positions buy us nothing more).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from kapstan.errors import TemplateError
from kapstan.model.values import Scalar

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
_TYPED_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    NULL_TAG,
}


def iter_documents(text: str, file: str) -> Iterator[tuple[yaml.CSafeLoader, int, yaml.Node]]:
    """Yield (loader, 1-based index, root node) for each non-empty document of ``text``."""
    loader = yaml.CSafeLoader(text)
    try:
        index = 0
        while _check_node(loader, file):
            node = _get_node(loader, file)
            index += 1
            if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG):
                continue
            yield loader, index, node
    finally:
        loader.dispose()


def _check_node(loader: yaml.CSafeLoader, file: str) -> bool:
    try:
        return bool(loader.check_node())
    except yaml.MarkedYAMLError as err:
        raise syntax_error(err, file) from None


def _get_node(loader: yaml.CSafeLoader, file: str) -> yaml.Node | None:
    try:
        node: yaml.Node | None = loader.get_node()
    except yaml.MarkedYAMLError as err:
        raise syntax_error(err, file) from None
    return node


def syntax_error(err: yaml.MarkedYAMLError, file: str) -> TemplateError:
    """A TemplateError ``file:line:column: YAML syntax error: ...`` from PyYAML's error."""
    mark = err.problem_mark or err.context_mark
    where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
    context = f" ({err.context})" if err.context else ""
    return TemplateError(f"{where}: YAML syntax error: {err.problem}{context}")


def position(node: yaml.Node) -> tuple[int, int]:
    """1-based (line, column) of a node's start."""
    return node.start_mark.line + 1, node.start_mark.column + 1


def scalar(loader: yaml.CSafeLoader, node: yaml.ScalarNode) -> Scalar:
    """A scalar node's value: int/float/bool/null typed, everything else as its text."""
    if node.tag in _TYPED_TAGS:
        value: Scalar = loader.construct_object(node)
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


def parse_scalar_text(text: str) -> Scalar:
    """Read ``text`` as a YAML scalar (``3`` -> 3, ``true`` -> True); non-scalars stay text."""
    if text == "":
        return ""
    try:
        value = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return text
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return text
