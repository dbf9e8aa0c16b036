"""What changes between two renderings of one chart with the same values: chart randomness.

Charts call ``randAlphaNum`` for passwords they generate and for hook names
(``migrate-x7k2p``). Rendered twice with the same values, those fields differ, and:

- a Secret's ``data``/``stringData`` entry becomes a secret config key
  ``generated.<secret>.<entry>`` whose default is ``kapstan:generate`` (a secret derived
  per environment at render time, see ``kapstan.render.builtins``), written to the Secret
  as ``stringData`` — it was a literal, the same in every environment;
- an object name loses its random suffix (the part the two names do not share), in every
  string that carries it, so an import gives the same names every time;
- any other field keeps this import's value and is reported.
"""

from __future__ import annotations

import os
from typing import Any

from kapstan.importers.manifestload import Doc
from kapstan.importers.names import key_part
from kapstan.importers.result import Report
from kapstan.importers.yamlio import Quoted
from kapstan.model.values import Scalar
from kapstan.render.builtins import GENERATE

Path_ = tuple[str | int, ...]


def differences(first: Any, second: Any, path: Path_ = ()) -> list[Path_]:
    """Paths of the scalars that differ between two renderings of one object."""
    if isinstance(first, dict) and isinstance(second, dict):
        return [
            p for k in first if k in second for p in differences(first[k], second[k], (*path, k))
        ]
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return [
            p
            for i, (a, b) in enumerate(zip(first, second, strict=True))
            for p in differences(a, b, (*path, i))
        ]
    return [] if first == second else [path]


def random_paths(first: list[Doc], second: list[Doc]) -> set[tuple[int, Path_]]:
    """(document index, path) of every field that differs between two equal renderings."""
    if [(d.kind, d.source) for d in first] != [(d.kind, d.source) for d in second]:
        return set()
    return {
        (index, path)
        for index, (a, b) in enumerate(zip(first, second, strict=True))
        for path in differences(a.obj, b.obj)
    }


def settle(first: list[Doc], second: list[Doc], report: Report) -> dict[str, Scalar]:
    """Make ``first`` stable where it differs from ``second``; the generated keys it made."""
    if [(d.kind, d.source) for d in first] != [(d.kind, d.source) for d in second]:
        report.add(
            "chart", "renders different objects each time with the same values: compared nothing"
        )
        return {}
    pairs = list(zip(first, second, strict=True))
    renames: dict[str, str] = {}  # either rendering's random name -> the stable one
    for doc, again in pairs:
        if doc.name != again.name:
            renames[doc.name] = renames[again.name] = _stable(doc.name, again.name, doc.kind)
    config: dict[str, Scalar] = {}
    for doc, again in pairs:
        for path in differences(_replace(doc.obj, renames), _replace(again.obj, renames)):
            if doc.kind == "Secret" and len(path) == 2 and path[0] in ("data", "stringData"):
                config.update(_generate(doc, str(path[1]), report))
            else:
                report.add(
                    f"{doc.source}: {doc.kind} {doc.name}",
                    f"{dotted(path)} changes on every render (random): this import's value kept",
                )
    for doc, again in pairs:
        if doc.name != again.name:
            report.add(
                f"{doc.source}: {doc.kind} {renames[doc.name]}",
                "the chart names it with random letters: suffix dropped, the same on every import",
            )
    for doc in first:
        doc.obj = _replace(doc.obj, renames)
    return config


def _generate(doc: Doc, entry: str, report: Report) -> dict[str, Scalar]:
    key = f"generated.{key_part(doc.name)}.{key_part(entry)}"
    for section in ("data", "stringData"):
        values = doc.obj.get(section)
        if isinstance(values, dict):
            values.pop(entry, None)
            if not values:
                doc.obj.pop(section)
    doc.obj.setdefault("stringData", {})[entry] = Quoted(f"${{{key}}}")
    report.add(
        f"{doc.source}: Secret {doc.name}",
        f"{entry} is random in the chart: made secret key {key}, generated per environment "
        f"({GENERATE}); set it with `kapstan config set --secret` to choose it",
    )
    return {key: GENERATE}


def _stable(name: str, other: str, kind: str) -> str:
    common = os.path.commonprefix([name, other])  # noqa: RUF071 (names, not paths)
    if not (common.endswith(("-", ".")) or len(common) in (len(name), len(other))):
        # Random text may share its first letters by chance: cut at the last separator.
        common = common[: max(common.rfind("-"), common.rfind("."), 0)]
    return common.rstrip("-.") or kind.lower()


def _replace(value: Any, renames: dict[str, str]) -> Any:
    if not renames:
        return value
    if isinstance(value, str):
        for old, new in renames.items():
            if old in value:  # str.replace would drop a Quoted marker even with no change
                value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_replace(v, renames) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, renames) for k, v in value.items()}
    return value


def value_at(obj: Any, path: Path_) -> Any:
    for item in path:
        obj = obj[item]
    return obj


def dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)
