"""``POST /api/v1/hooks/{app}``: a CI sets config keys of one application, signed (``flows.hooks``).

No bearer token: the signature with the application's own secret is the credential.
Every refusal (bad or missing signature, stale timestamp, replayed nonce, oversized body)
is logged and written to the audit log; an accepted request records its nonce and its
body's (keyed) digest there, so neither is accepted again within the window.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from functools import partial

import anyio
from fastapi import APIRouter, Request
from pydantic import ValidationError

from kapstan import schemas
from kapstan.actions.configs import set_values
from kapstan.api import auditing, convert
from kapstan.api.auth import client_address, client_of_request
from kapstan.api.errors import PayloadTooLarge
from kapstan.api.flows import hooks
from kapstan.api.flows.triggers import after_config_change
from kapstan.api.state import runner_of, state_of, store_of
from kapstan.errors import InputError, KapstanError
from kapstan.model.values import Value
from kapstan.store import Store

router = APIRouter(prefix="/api/v1/hooks", tags=["hooks"])
log = logging.getLogger("kapstan.api")


BODY_DOC = {
    "required": True,
    "content": {"application/json": {"schema": schemas.HookRequest.model_json_schema()}},
}


@router.post("/{app}", openapi_extra={"security": [], "requestBody": BODY_DOC})
async def hook(app: str, request: Request) -> schemas.HookOut:
    """Set ``set``'s keys in the app's config (a new version); auto-deploy if opted in."""
    raw = await request.body()
    work = partial(_handle, store_of(request), request, app, raw)
    return await anyio.to_thread.run_sync(work)


def _handle(store: Store, request: Request, app: str, raw: bytes) -> schemas.HookOut:
    headers = {k.lower(): v for k, v in request.headers.items()}
    nonces = state_of(request).nonces
    try:
        if len(raw) > hooks.MAX_HOOK_BODY:
            raise PayloadTooLarge(
                f"a webhook body may have {hooks.MAX_HOOK_BODY} bytes, not {len(raw)}"
            )
        application = store.get_application(app)
        secret = hooks.hook_secret(store.get_config(application.config).values, app)
        now = datetime.now(UTC)
        signed = hooks.check_signature(
            secret, (request.method, request.url.path), headers, raw, now
        )
        values = _parse(raw)
        hooks.check_keys(values)
        claim = hooks.check_replay(
            store, nonces, app, signed, now, client_of_request(request).audit()
        )
    except KapstanError as exc:
        log.warning("webhook for %s refused from %s: %s", app, client_address(request), exc.message)
        _refused(store, app, client_of_request(request).audit(), exc)
        raise
    author = f"webhook:{app}"
    try:
        result = set_values(
            store,
            application.config,
            values,
            author=author,
            message=f"webhook: set {', '.join(sorted(values))}",
        )
        auditing.record(
            store,
            author,
            "webhook.accept",
            kind="application",
            name=app,
            environment=application.environment,
            to_version=result.version.version,
            details={
                "nonce": signed.nonce,
                "bodyDigest": signed.digest,
                "keys": sorted(values),
                "config": application.config,
                "keptSecret": list(result.kept_secret) or None,
                **client_of_request(request).audit(),
            },
        )
    except BaseException:
        hooks.forget(store, nonces, app, signed, claim)  # not applied: it may be sent again
        raise
    triggered = []
    if result.created:
        found = after_config_change(store, runner_of(request), result.version, author=author)
        triggered = [convert.triggered(t) for t in found]
    return schemas.HookOut(
        app=app,
        config=convert.config_version(result.version),
        created=result.created,
        triggered=triggered,
    )


def _parse(raw: bytes) -> dict[str, Value]:
    shape = 'the webhook body must be JSON like {"set": {"api.image.tag": "1.2.3"}}'
    try:
        body = schemas.HookRequest.model_validate(json.loads(raw))
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InputError(f"{shape} ({where})") from None
    except ValueError:
        raise InputError(f"{shape} (it is not JSON)") from None
    return dict(body.set)


def _refused(store: Store, app: str, client: dict[str, str], exc: KapstanError) -> None:
    try:
        auditing.record(
            store,
            "webhook",
            "webhook.reject",
            kind="application",
            name=app,
            details={"reason": exc.message, "error": type(exc).__name__, **client},
        )
    except KapstanError:
        log.exception("could not audit a refused webhook for %s", app)
