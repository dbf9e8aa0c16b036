"""YAML in (with file:line:column errors) and out (from data, never pasted text)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from kapstan.render.yamlnodes import iter_documents, mapping_pairs, position, to_data


class Quoted(str):
    """A string always written double-quoted.

    A placeholder that is a whole *unquoted* scalar renders typed (``8080`` becomes an
    int); quoting keeps values such as environment variables strings whatever the config
    holds.
    """

    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _quoted(dumper: yaml.SafeDumper, data: Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data and not data.endswith((" ", "\t")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(Quoted, _quoted)
_Dumper.add_representer(str, _text)


def dump(data: Any) -> str:
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    return text


def dump_all(documents: Iterable[Any]) -> str:
    return "---\n".join(dump(doc) for doc in documents)


def load_documents(text: str, file: str) -> list[tuple[int, Any]]:
    """(line, data) for each non-empty document; syntax errors name file:line:column."""
    out = []
    for loader, _, node in iter_documents(text, file):
        out.append((position(node)[0], to_data(loader, node, file)))
    return out


Lines = dict[tuple[str | int, ...], int]


def load_single(text: str, file: str) -> tuple[Any, Lines]:
    """The one document of ``text`` as data, with the line of every mapping key and item.

    ``lines[("services", "web", "ports", 0)]`` is where that item starts. Syntax errors
    name file:line:column; an empty file is ``None``.
    """
    lines: Lines = {}
    data: Any = None
    for loader, _, node in iter_documents(text, file):
        _walk_lines(loader, node, (), lines, file)
        data = to_data(loader, node, file)
        break
    return data, lines


def _walk_lines(
    loader: yaml.CSafeLoader, node: yaml.Node, path: tuple[str | int, ...], lines: Lines, file: str
) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, key_node, value in mapping_pairs(loader, node, file):
            lines[(*path, key)] = position(key_node)[0]
            _walk_lines(loader, value, (*path, key), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = position(item)[0]
            _walk_lines(loader, item, (*path, index), lines, file)
