"""The limits on every YAML and JSON text Kapstan reads, and the bounded composer. Pure.

Every reader of user YAML (template manifests and kapstan.yaml, config files, compose
files, chart values, imported manifests, the market index) composes through
``compose_documents``; API bodies pass ``check_json_depth`` before they are parsed.

Why a composer of our own. PyYAML composes an alias as a second reference to one node,
so the node graph stays as small as the text; but every walk after it (``to_data``, the
manifest compiler, JSON encoding) visits an alias as often as it is referenced, so 1 KB
of nested aliases (the "billion laughs") becomes millions of nodes and gigabytes. And
PyYAML's C composer recurses in C: 100,000 nested brackets crash the process. This
composer takes the C parser's events (libyaml keeps its own stack, no recursion) and
builds the same nodes with an explicit stack, counting as it goes each node's size with
aliases counted as what they stand for, and the depth. A text over a limit is refused
while it is read, before anything expands it, so reading stays linear in the text size.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import yaml
from yaml import events

from kapstan.errors import TemplateError


@dataclass(frozen=True)
class Limits:
    """What one YAML text may hold. A node is a scalar, a list or a mapping."""

    max_bytes: int = 1024 * 1024
    max_documents: int = 1000
    # Kubernetes objects, CRD schemas included, stay under 30 levels.
    max_depth: int = 100
    # Nodes after alias expansion: a dense 1 MB CRD file has ~250,000.
    max_nodes: int = 500_000
    # Aliases may expand a text to at most alias_factor times the nodes written in it (or
    # to alias_floor nodes, for small files): the work after reading stays linear in it.
    alias_factor: int = 10
    alias_floor: int = 10_000


DEFAULT_LIMITS = Limits()
# A service's rendered manifests read back from the store (one text for all its files):
# Kapstan wrote them, without aliases, from a template within DEFAULT_LIMITS.
STORED_LIMITS = Limits(max_bytes=32 * 1024 * 1024, max_documents=20_000, max_nodes=5_000_000)

_Loader = yaml.CSafeLoader
_COLLECTION_STARTS = (events.SequenceStartEvent, events.MappingStartEvent)
_COLLECTION_ENDS = (events.SequenceEndEvent, events.MappingEndEvent)


def compose_documents(
    text: str, file: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[tuple[_Loader, int, yaml.Node | None]]:
    """Yield (loader, 1-based index, root node or None if empty) for each document.

    Raises TemplateError naming ``file`` (and line:column where known) and the limit.
    The loader is the one to construct scalars and flatten merges with.
    """
    check_size(text, file, limits)
    loader = _Loader(text)
    try:
        _event(loader, file, text)  # StreamStart
        composer = _Composer(loader, file, limits)
        index = 0
        while _event(loader, file, text, peek=True).__class__ is not events.StreamEndEvent:
            index += 1
            if index > limits.max_documents:
                raise TemplateError(
                    f"{file}: more than {limits.max_documents} YAML documents; "
                    "split the file into several"
                )
            yield loader, index, composer.document(text)
    finally:
        loader.dispose()


def check_size(text: str, file: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a text over ``limits.max_bytes`` (UTF-8) or one that is not valid Unicode."""
    if len(text) > limits.max_bytes:
        raise _too_big(file, len(text), limits)
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as err:
        line = text.count("\n", 0, err.start) + 1
        raise TemplateError(
            f"{file}:{line}: not valid Unicode text (a lone surrogate, "
            f"{text[err.start]!r}); save the file as UTF-8"
        ) from None
    if size > limits.max_bytes:
        raise _too_big(file, size, limits)


def _too_big(file: str, size: int, limits: Limits) -> TemplateError:
    return TemplateError(
        f"{file}: {size} bytes of YAML; the limit for one file is {limits.max_bytes} bytes; "
        "split it into smaller files"
    )


class _Frame:
    """A collection being composed: its node, its size so far, a mapping's pending key."""

    __slots__ = ("anchor", "key", "node", "size")

    def __init__(self, node: yaml.SequenceNode | yaml.MappingNode, anchor: str | None) -> None:
        self.node = node
        self.size = 1
        self.key: yaml.Node | None = None
        self.anchor = anchor

    def attach(self, node: yaml.Node) -> None:
        if isinstance(self.node, yaml.SequenceNode):
            self.node.value.append(node)
        elif self.key is None:
            self.key = node
        else:
            self.node.value.append((self.key, node))
            self.key = None


class _Composer:
    """Nodes from events, with an explicit stack; sizes count aliases as their expansion."""

    def __init__(self, loader: _Loader, file: str, limits: Limits) -> None:
        self.loader = loader
        self.file = file
        self.limits = limits
        self.written = 0  # nodes as written in the text (an alias is one)
        self.expanded = 0  # nodes as every reader will walk them

    def document(self, text: str) -> yaml.Node | None:
        _event(self.loader, self.file, text)  # DocumentStart
        anchors: dict[str, tuple[yaml.Node, int]] = {}
        open_anchors: set[str] = set()
        stack: list[_Frame] = []
        root: yaml.Node | None = None
        cap = self.limits.max_nodes + 1
        while True:
            event = _event(self.loader, self.file, text)
            kind = type(event)  # most events are scalars: test for them first
            node: yaml.Node
            if kind is events.ScalarEvent:
                scalar = cast(events.ScalarEvent, event)
                self.written += 1
                node, size = self._scalar(scalar), 1
                if scalar.anchor is not None:
                    self._anchor(anchors, scalar.anchor, node, 1)
            elif kind in _COLLECTION_ENDS:
                frame = stack.pop()
                node, size = frame.node, frame.size
                node.end_mark = event.end_mark
                if frame.anchor is not None:
                    open_anchors.discard(frame.anchor)
                    self._anchor(anchors, frame.anchor, node, size)
            elif kind in _COLLECTION_STARTS:
                assert isinstance(event, events.CollectionStartEvent)
                self.written += 1
                if len(stack) >= self.limits.max_depth:
                    raise self._refuse(
                        event,
                        f"nested more than {self.limits.max_depth} levels deep; "
                        "flatten the structure (Kubernetes objects stay under 30 levels)",
                    )
                stack.append(_Frame(self._collection(event), event.anchor))
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                continue
            elif kind is events.AliasEvent:
                self.written += 1
                node, size = self._alias(anchors, open_anchors, cast(events.AliasEvent, event))
            elif kind is events.DocumentEndEvent:
                break
            else:  # pragma: no cover - libyaml sends nothing else inside a document
                raise self._refuse(event, f"unexpected YAML event {kind.__name__}")
            if not stack:
                root = node
                self.expanded = min(self.expanded + size, cap)
                continue
            parent = stack[-1]
            parent.size = min(parent.size + size, cap)
            if parent.size == cap:
                raise self._expansion(event, self.limits.max_nodes)
            parent.attach(node)
        self._check_expansion(root)
        return root

    def _collection(
        self, event: events.CollectionStartEvent
    ) -> yaml.SequenceNode | yaml.MappingNode:
        kind: type[yaml.SequenceNode] | type[yaml.MappingNode] = (
            yaml.SequenceNode if isinstance(event, events.SequenceStartEvent) else yaml.MappingNode
        )
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(kind, None, event.implicit)  # type: ignore[no-untyped-call]
        # The C parser's marks are yaml._yaml.Mark: the same fields as yaml.Mark.
        start = cast(yaml.Mark, event.start_mark)
        return kind(tag, [], start, None, flow_style=event.flow_style)

    def _scalar(self, event: events.ScalarEvent) -> yaml.ScalarNode:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        start, end = cast(yaml.Mark, event.start_mark), cast(yaml.Mark, event.end_mark)
        return yaml.ScalarNode(tag, event.value, start, end, event.style)

    def _anchor(
        self, anchors: dict[str, tuple[yaml.Node, int]], name: str, node: yaml.Node, size: int
    ) -> None:
        if name in anchors:
            first = anchors[name][0].start_mark.line + 1
            raise self._refuse(
                node, f"YAML syntax error: duplicate anchor &{name} (first defined on line {first})"
            )
        anchors[name] = (node, size)

    def _alias(
        self,
        anchors: dict[str, tuple[yaml.Node, int]],
        open_anchors: set[str],
        event: events.AliasEvent,
    ) -> tuple[yaml.Node, int]:
        name = str(event.anchor)
        if name in open_anchors:
            raise self._refuse(
                event,
                f"alias *{name} is inside the node it names; a recursive structure cannot be read",
            )
        if name not in anchors:
            raise self._refuse(event, f"YAML syntax error: alias *{name} names no anchor before it")
        return anchors[name]

    def _check_expansion(self, root: yaml.Node | None) -> None:
        allowed = min(
            self.limits.max_nodes,
            max(self.limits.alias_floor, self.limits.alias_factor * self.written),
        )
        if self.expanded > allowed:
            raise self._expansion(root, allowed)

    def _expansion(self, at: yaml.Node | events.Event | None, allowed: int) -> TemplateError:
        limits = self.limits
        return self._refuse(
            at,
            f"aliases (*name) expand this YAML to more than {allowed} nodes (the limit: "
            f"{limits.alias_factor} times the nodes written, at least {limits.alias_floor}, "
            f"at most {limits.max_nodes}); write the repeated content out, or use fewer "
            "nested aliases",
        )

    def _refuse(self, at: yaml.Node | events.Event | None, problem: str) -> TemplateError:
        mark = at.start_mark if at is not None else None
        where = f"{self.file}:{mark.line + 1}:{mark.column + 1}" if mark else self.file
        return TemplateError(f"{where}: {problem}")


def _event(loader: _Loader, file: str, text: str, *, peek: bool = False) -> events.Event:
    try:
        event = loader.peek_event() if peek else loader.get_event()
    except yaml.MarkedYAMLError as err:
        raise syntax_error(err, file) from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        raise TemplateError(
            f"{file}:{line}: character #x{err.character:04x} is not allowed in YAML "
            "(control characters); remove it or write it escaped in a double-quoted string"
        ) from None
    except yaml.YAMLError as err:  # pragma: no cover - the C parser raises only the above
        raise TemplateError(f"{file}: YAML error: {err}") from None
    assert event is not None  # libyaml ends every stream with StreamEnd
    return event


def syntax_error(err: yaml.MarkedYAMLError, file: str) -> TemplateError:
    """A TemplateError ``file:line:column: YAML syntax error: ...`` from PyYAML's error."""
    mark = err.problem_mark or err.context_mark
    where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
    context = f" ({err.context})" if err.context else ""
    return TemplateError(f"{where}: YAML syntax error: {err.problem}{context}")


# JSON: a string (its escapes included), matched possessively so a long one costs one pass.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_too_deep(body: bytes, limit: int) -> bool:
    """Whether ``body``'s arrays and objects nest more than ``limit`` levels deep.

    Linear and without recursion, for a body not yet parsed: the JSON parser and every
    walk of the parsed value recurse once per level.
    """
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if len(brackets) <= limit:
        return False
    depth = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False
