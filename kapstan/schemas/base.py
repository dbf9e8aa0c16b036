"""What every model at the HTTP edge shares: camelCase on the wire, pages, errors.

Field names are snake_case in Python and camelCase in JSON (``dependsOn``); requests
accept either spelling. Config values are JSON scalars; a secret is always the string
``<redacted>`` in a response.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

JsonScalar = str | int | float | bool | None
T = TypeVar("T")
# Ids, versions and offsets live in integer columns (32 bits in PostgreSQL): a number past
# them is refused at the edge (422 naming the field), not by the database driver (a 500).
MAX_STORED_INT = 2**31 - 1
# Apply requests one deploy may keep in flight (a server's callers share its apiserver).
MAX_INFLIGHT = 256
StoredInt = Annotated[int, Field(ge=-MAX_STORED_INT - 1, le=MAX_STORED_INT)]


class Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Page(Model, Generic[T]):
    """One page of a list: ``next`` is the offset of the next page, or null at the end."""

    items: list[T]
    total: int | None = None
    limit: int
    offset: int
    next: int | None = None


class ErrorDetail(Model):
    type: str
    message: str


class ErrorBody(Model):
    error: ErrorDetail
