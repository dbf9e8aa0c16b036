"""``/api/v1/audit``: the audit log, newest first, and its export as JSON lines.

Administrators read all of it; any other user reads one environment's entries at a time
(``?environment=``, needing ``view`` there).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from kapstan import schemas
from kapstan.api.auth import Caller, CallerDep
from kapstan.api.pagination import WindowDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


def _check(caller: Caller, environment: str | None) -> None:
    if environment is None:
        caller.require_admin("reading the whole audit log (pass ?environment= for one)")
    else:
        caller.require(environment, "view")


@router.get("")
def list_audit(
    caller: CallerDep,
    at: WindowDep,
    actor: str | None = None,
    kind: str | None = None,
    name: str | None = None,
    environment: str | None = None,
    since: datetime | None = None,
) -> schemas.Page[schemas.AuditOut]:
    _check(caller, environment)
    found = caller.store.list_audit(
        limit=at.limit + 1,
        offset=at.offset,
        actor=actor,
        kind=kind,
        name=name,
        environment=environment,
        since=since,
    )
    more = len(found) > at.limit
    return schemas.Page[schemas.AuditOut](
        items=[schemas.AuditOut.of(e) for e in found[: at.limit]],
        limit=at.limit,
        offset=at.offset,
        next=at.offset + at.limit if more else None,
    )


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def export_audit(caller: CallerDep, since: datetime | None = None) -> StreamingResponse:
    """Every entry since ``since``, oldest first, one JSON object per line (administrators)."""
    caller.require_admin("exporting the audit log")
    entries = caller.store.export_audit(since)

    def lines() -> Iterator[str]:
        for e in entries:
            yield json.dumps(schemas.AuditOut.of(e).model_dump(mode="json", by_alias=True)) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")
