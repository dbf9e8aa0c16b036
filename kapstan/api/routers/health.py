"""``/healthz`` (the process answers), ``/readyz`` (the store answers), ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kapstan.api.state import state_of, store_of

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Async: it awaits nothing, and a plain ``def`` would cost a hand-off to a thread."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> dict[str, str]:
    store = store_of(request)
    store.list_environments()  # a read: StoreError (503) when the database is not there
    return {"status": "ready", "store": store.url}


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(
        generate_latest(state_of(request).metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
