"""Tracing the values a user set (``--values`` files) into the rendered manifests.

How: the chart is rendered twice, once with the real values and once with each set
string or number replaced by a unique sentinel (``kpsv0003x`` / ``900037``: below a
million, since Go templates print larger numbers as ``7.9e+08``). Wherever a
sentinel shows up in the second rendering, and the first rendering holds the same text
with the real value in its place, the manifest gets the placeholder
``${values.<path>}`` and the config key ``values.<path>`` gets the real value as its
default. Values that never show up (used only in template logic, or transformed by a
function such as ``b64enc``) and booleans stay literal, and the report lists them.

A chart may refuse a stand-in (a preset looked up by name, a ``fail`` on an unknown
choice) or render other objects with it (``architecture: replication``): ``isolate``
renders with halves of the values until it has the values the chart accepts as stand-ins
and, one by one, those it does not, each reported with its reason; the rest are traced.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kapstan.importers.names import key_part
from kapstan.importers.yamlio import Quoted
from kapstan.model.values import Scalar
from kapstan.render.placeholders import escape

_INT_BASE = 900_007
_TOKEN = re.compile(r"kpsv(\d{4})x|(?<!\d)(9\d{4}7)(?!\d)")


@dataclass(frozen=True)
class Leaf:
    key: str
    path: tuple[str | int, ...]
    value: Scalar


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = (
            deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        )
    return out


def leaves(values: Any, path: tuple[str | int, ...] = ()) -> list[Leaf]:
    """Every scalar set in ``values``, keyed ``values.a.b`` (list items as ``_0``)."""
    if isinstance(values, dict):
        return [leaf for k, v in values.items() for leaf in leaves(v, (*path, str(k)))]
    if isinstance(values, list):
        return [leaf for i, v in enumerate(values) for leaf in leaves(v, (*path, i))]
    key = "values." + ".".join(key_part(str(p)) for p in path)
    return [Leaf(key, path, values)] if path else []


def traceable(leaf: Leaf) -> bool:
    return isinstance(leaf.value, str | int) and not isinstance(leaf.value, bool)


def sentinel(index: int, value: Scalar) -> Scalar:
    return _INT_BASE + 10 * index if isinstance(value, int) else f"kpsv{index:04d}x"


def _index(match: re.Match[str]) -> int:
    return int(match[1]) if match[1] else (int(match[2]) - _INT_BASE) // 10


def with_sentinels(values: Any, found: list[Leaf], chosen: list[Leaf] | None = None) -> Any:
    """``values`` with each leaf of ``chosen`` (default: all found) replaced by its sentinel."""
    paths = {leaf.path for leaf in (found if chosen is None else chosen)}
    index = {leaf.path: i for i, leaf in enumerate(found) if leaf.path in paths}

    def walk(node: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, (*path, str(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*path, i)) for i, v in enumerate(node)]
        return sentinel(index[path], node) if path in index else node

    return walk(values, ())


class Tracer:
    """Lays placeholders over the real rendering where the sentinel rendering shows them."""

    def __init__(self, found: list[Leaf]) -> None:
        self.found = found
        self.used: set[int] = set()

    def trace(self, real: Any, marked: Any) -> Any:
        if isinstance(real, dict) and isinstance(marked, dict):
            return {k: self.trace(v, marked[k]) if k in marked else v for k, v in real.items()}
        if isinstance(real, list) and isinstance(marked, list) and len(real) == len(marked):
            return [self.trace(r, m) for r, m in zip(real, marked, strict=True)]
        if isinstance(marked, int) and not isinstance(marked, bool):
            return self._whole_int(real, marked)
        if isinstance(marked, str) and _TOKEN.search(marked) and self._known(marked):
            return self._text(real, marked)
        return real

    def _known(self, marked: str) -> bool:
        return all(0 <= _index(m) < len(self.found) for m in _TOKEN.finditer(marked))

    def _whole_int(self, real: Any, marked: int) -> Any:
        index = (marked - _INT_BASE) // 10
        if (
            (marked - _INT_BASE) % 10 == 0
            and 0 <= index < len(self.found)
            and real == self.found[index].value
        ):
            self.used.add(index)
            return f"${{{self.found[index].key}}}"
        return real

    def _text(self, real: Any, marked: str) -> Any:
        indexes = [_index(m) for m in _TOKEN.finditer(marked)]
        expected = _TOKEN.sub(lambda m: escape(str(self.found[_index(m)].value)), marked)
        if str(real) != expected:
            return real
        self.used.update(indexes)
        text = _TOKEN.sub(lambda m: f"${{{self.found[_index(m)].key}}}", marked)
        return Quoted(text) if isinstance(real, str) else text


# Renders with stand-ins for the given leaves: the documents, or the reason it cannot.
Attempt = Callable[[list[Leaf]], "list[Any] | str"]


def shows_stand_in(value: Any) -> bool:
    """Whether a rendered value carries a sentinel (anywhere inside it)."""
    return _TOKEN.search(str(value)) is not None


def isolate(
    found: list[Leaf], attempt: Attempt
) -> tuple[list[tuple[list[Leaf], list[Any]]], dict[str, str]]:
    """Renderings that took their stand-ins (with their leaves), and each leaf that spoils one.

    ``attempt(leaves)`` renders with those leaves' sentinels; a string answer is the
    reason the rendering is no use. A reason that shows a group member's sentinel (helm's
    message quotes the value it refused) names the culprit at once; otherwise the group is
    split in halves, so k bad values among n cost about k·log2(n) renderings.
    """
    good: list[tuple[list[Leaf], list[Any]]] = []
    bad: dict[str, str] = {}
    todo = [found] if found else []
    while todo:
        group = todo.pop()
        outcome = attempt(group)
        if not isinstance(outcome, str):
            good.append((group, outcome))
            continue
        named = {found[_index(m)].key for m in _TOKEN.finditer(outcome) if _index(m) < len(found)}
        culprits = [leaf for leaf in group if leaf.key in named]
        if culprits or len(group) == 1:
            for leaf in culprits or group:
                bad[leaf.key] = _TOKEN.sub("<stand-in>", outcome)
            rest = [leaf for leaf in group if leaf not in culprits] if culprits else []
            todo += [rest] if rest else []
        else:
            half = len(group) // 2
            todo += [group[half:], group[:half]]
    return good, bad


def open_secret(real: dict[str, Any], marked: dict[str, Any]) -> None:
    """Move a Secret's ``data`` entries that carry a stand-in to ``stringData``, in both.

    ``b64enc`` hides a value from tracing; decoded, the entry is text like any other, and
    ``stringData`` is how a Secret takes text (the API server encodes it).
    """
    real_data, marked_data = real.get("data"), marked.get("data")
    if not isinstance(real_data, dict) or not isinstance(marked_data, dict):
        return
    for name, encoded in list(marked_data.items()):
        text, plain = _decoded(encoded), _decoded(real_data.get(name))
        if text is None or plain is None or not _TOKEN.search(text):
            continue
        real.setdefault("stringData", {})[name] = escape(plain)
        marked.setdefault("stringData", {})[name] = text
        del real_data[name], marked_data[name]
    for obj in (real, marked):
        if obj.get("data") == {}:
            del obj["data"]


def _decoded(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
