"""Two texts as side-by-side rows for the console's revision diffs (pure)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import zip_longest


@dataclass(frozen=True)
class Row:
    """One row: a line on each side (None where that side has none) and how they differ."""

    tag: str  # equal, replace, delete, insert
    old_no: int | None
    old: str | None
    new_no: int | None
    new: str | None


def side_by_side(old_text: str, new_text: str) -> list[Row]:
    old, new = old_text.splitlines(), new_text.splitlines()
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        lefts = list(range(i1, i2))
        rights = list(range(j1, j2))
        for li, ri in zip_longest(lefts, rights):
            rows.append(
                Row(
                    tag,
                    None if li is None else li + 1,
                    None if li is None else old[li],
                    None if ri is None else ri + 1,
                    None if ri is None else new[ri],
                )
            )
    return rows
