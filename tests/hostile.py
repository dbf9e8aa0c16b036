"""Hostile inputs shared by the input-limit tests and the fuzz suite, and a row counter.

Each builder returns small text (about 1 KB) that would cost gigabytes, or crash the
process, if a reader expanded or recursed through it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

# Tables a refused input must leave untouched (audit and login failures may record it).
CONTENT_TABLES = (
    "templates",
    "template_versions",
    "configs",
    "config_versions",
    "config_values",
    "environments",
    "applications",
    "revisions",
    "operations",
    "approvals",
)


def alias_lines(levels: int = 9, width: int = 9, indent: str = "  ") -> list[str]:
    """``a0: &a0 [x]`` then ``aN: &aN [*aN-1 x width]``: width**levels nodes when expanded."""
    lines = [f'{indent}a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ",".join([f"*a{level - 1}"] * width)
        lines.append(f"{indent}a{level}: &a{level} [{refs}]")
    return lines


def alias_bomb_manifest(levels: int = 9, name: str = "bomb") -> str:
    """A ConfigMap whose ``bomb`` field holds the billion laughs (~600 bytes at 9 levels)."""
    head = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\nbomb:\n"
    return head + "\n".join(alias_lines(levels)) + "\n"


def alias_bomb_mapping(levels: int = 9) -> str:
    """A flat map whose last key holds the bomb: a config file or a compose extension."""
    return "x-bomb:\n" + "\n".join(alias_lines(levels)) + "\n"


def alias_bomb_compose(levels: int = 9) -> str:
    return "services:\n  web:\n    image: nginx\n" + alias_bomb_mapping(levels)


def merge_bomb(levels: int = 9, width: int = 9) -> str:
    """A flat map merging (``<<``) a pyramid of merges: width**levels pairs once flattened."""
    node = "&m0 {k: v}"
    for level in range(1, levels + 1):
        refs = ", ".join([f"*m{level - 1}"] * (width - 1))
        node = f"&m{level} {{<<: [{node}, {refs}]}}"
    return f"<<: {node}\nkey: 1\n"


def deep_flow(depth: int) -> str:
    """``[[[...]]]``: one list nested ``depth`` levels."""
    return "[" * depth + "]" * depth


def deep_block(depth: int) -> str:
    """``a:\\n a:\\n  a: ...``: block mappings nested ``depth`` levels."""
    return "".join(" " * i + "a:\n" for i in range(depth - 1)) + " " * (depth - 1) + "a: 1\n"


def deep_manifest(depth: int) -> str:
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\n"
        f"data:\n  k: v\nnested: {deep_flow(depth)}\n"
    )


def template_files(manifest: str, kapstan_yaml: str | None = None) -> dict[str, str]:
    """A one-service template around ``manifest`` (as ``cm.yaml``)."""
    top = kapstan_yaml or "name: hostile\nservices:\n  web:\n    manifests: [cm.yaml]\n"
    return {"kapstan.yaml": top, "cm.yaml": manifest}


def write_template(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def row_counts(db_file: Path) -> dict[str, int]:
    """Rows per content table of a SQLite store (read on its own connection)."""
    with sqlite3.connect(db_file) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in CONTENT_TABLES
        }
