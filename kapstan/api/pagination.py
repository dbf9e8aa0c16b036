"""``limit`` and ``offset`` on every list; the response says ``total`` and ``next``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query

from kapstan.schemas import MAX_STORED_INT, Page

MAX_LIMIT = 500
T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Window:
    limit: int
    offset: int


async def window(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_STORED_INT, description="Items to skip.")] = 0,
) -> Window:
    """Async although it awaits nothing: FastAPI runs a plain ``def`` dependency in a worker
    thread, a hand-off per paged request for two numbers."""
    return Window(limit, offset)


WindowDep = Annotated[Window, Depends(window)]


def paged(items: Sequence[T], at: Window, convert: Callable[[T], U]) -> Page[U]:
    """A page of an in-memory list (the store's lists are short: names, versions)."""
    chosen = items[at.offset : at.offset + at.limit]
    end = at.offset + len(chosen)
    return Page[U](
        items=[convert(item) for item in chosen],
        total=len(items),
        limit=at.limit,
        offset=at.offset,
        next=end if end < len(items) else None,
    )


def cut(items: Sequence[U], total: int, at: Window) -> Page[U]:
    """A page the store already cut: ``items`` are the window's, ``total`` counts them all."""
    end = at.offset + len(items)
    return Page[U](
        items=list(items),
        total=total,
        limit=at.limit,
        offset=at.offset,
        next=end if end < total else None,
    )
