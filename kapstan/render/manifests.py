"""Compiling manifest files into ``Document``s: parse once, keep placeholder slots.

Validation here: YAML syntax (file:line:column), each document a mapping with
``apiVersion``, ``kind`` and ``metadata.name`` (file, document index and line), bad
placeholders, placeholders in mapping keys.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from kapstan.errors import TemplateError
from kapstan.model.manifest import Document, Path, Placeholder, Slot, SlotSite
from kapstan.render import placeholders
from kapstan.render.fields import expected_type, field_text
from kapstan.render.yamlnodes import (
    STR_TAG,
    iter_documents,
    mapping_pairs,
    parse_scalar_text,
    position,
    scalar,
)


def compile_file(text: str, file: str) -> list[Document]:
    """All non-empty documents of one manifest file, compiled."""
    return [
        _Compiler(loader, file).document(node, index)
        for loader, index, node in iter_documents(text, file)
    ]


class _Compiler:
    """Walks one document's nodes, building the JSON skeleton and its slot sites."""

    def __init__(self, loader: yaml.CSafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.slots: list[SlotSite] = []

    def document(self, node: yaml.Node, index: int) -> Document:
        line = position(node)[0]
        where = f"{self.file}: document {index} (line {line})"
        body = self.value(node, ())
        if not isinstance(body, dict):
            raise TemplateError(f"{where}: a manifest must be a mapping with apiVersion and kind")
        api_version, kind = body.get("apiVersion"), body.get("kind")
        for field, value in (("apiVersion", api_version), ("kind", kind)):
            if not isinstance(value, str) or not value:
                raise TemplateError(
                    f"{where}: missing {field}; every manifest needs apiVersion, kind and metadata.name"
                )
        assert isinstance(api_version, str) and isinstance(kind, str)
        if not self._has_name(body):
            raise TemplateError(
                f"{where}: {kind} without metadata.name; give every manifest a name"
            )
        skeleton = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        return Document(self.file, index, line, api_version, kind, skeleton, tuple(self.slots))

    def _has_name(self, body: dict[str, Any]) -> bool:
        metadata = body.get("metadata")
        if not isinstance(metadata, dict):
            return False
        if metadata.get("name"):
            return True
        return any(site.path == ("metadata", "name") for site in self.slots)

    def value(self, node: yaml.Node, path: Path) -> Any:
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key, key_node, value_node in mapping_pairs(self.loader, node, self.file):
                if placeholders.has_placeholder(key):
                    line, col = position(key_node)
                    raise TemplateError(
                        f"{self.file}:{line}:{col}: placeholders are not allowed in mapping keys ({key!r})"
                    )
                out[key] = self.value(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if node.tag != STR_TAG:
            return scalar(self.loader, node)
        text = str(node.value)
        if not placeholders.has_placeholder(text):
            return text
        return self.string(node, text, path)

    def string(self, node: yaml.ScalarNode, text: str, path: Path) -> Any:
        line, col = _content_position(node)
        parts = placeholders.parse(text, where=self.file, line=line, column=col)
        literal = placeholders.unescape_literal(parts)
        if literal is not None:
            return literal
        whole = len(parts) == 1 and not node.style
        first = parts[0]
        typed_default = None
        if whole and isinstance(first, Placeholder) and first.default is not None:
            typed_default = parse_scalar_text(first.default)
        slot = Slot(tuple(parts), whole, typed_default)
        self.slots.append(SlotSite(path, field_text(path), slot, expected_type(path)))
        return None


def _content_position(node: yaml.ScalarNode) -> tuple[int, int]:
    """Where a scalar's text starts: after a quote, or on the line after ``|``/``>``."""
    line, col = position(node)
    if node.style in ("|", ">"):
        return line + 1, 1
    if node.style in ('"', "'"):
        return line, col + 1
    return line, col
