"""CI webhooks: a signed request sets config keys of one application (and may deploy).

Each application has its own secret: the secret config key ``kapstan.webhookSecret`` of
its config. A request carries

    X-Kapstan-Timestamp   Unix seconds; refused if more than 5 minutes from now
    X-Kapstan-Nonce       unique per request; a nonce seen before is refused (replay)
    X-Kapstan-Signature   sha256=<hex HMAC-SHA256(secret, canonical request)>

The canonical request (``canonical``) is every part that makes a request unique, one per
line: timestamp, nonce, method, path, then the body bytes as sent:

    <timestamp>\n<nonce>\n<METHOD>\n<path>\n<body>

so a captured request cannot be resent with a fresh nonce, nor to another application
sharing the secret (two apps on one config do). A body accepted once is refused again
within the window whatever its nonce: a replayed ``image.tag`` cannot undo a newer fix.

Nonces and body digests are remembered in memory (per process, to refuse a replay
without a store write) and claimed in the store (``kapstan.store.hookclaims``): one
transaction at a time per application checks that no claim or acceptance in the audit
log holds them and appends the claim, so a replay is caught across restarts, replicas
and ``--workers`` processes, even when the copies arrive at the same moment. The body
digest is keyed by the app's webhook secret: a body may hold a value that is secret
elsewhere, and an unkeyed hash of it in the audit log could be guessed offline.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kapstan.api.flows.nonces import WINDOW_SECONDS, NonceCache
from kapstan.api.keys import WEBHOOK_SECRET_KEY
from kapstan.errors import AuthError, ConflictError, InputError, NotFoundError
from kapstan.model.values import SecretValue, Value
from kapstan.schemas.hooks import HOW_TO_SIGN
from kapstan.store import Store

MAX_HOOK_BODY = 64 * 1024
MAX_NONCE = 200


def canonical(timestamp: str, nonce: str, method: str, path: str, body: bytes) -> bytes:
    """The bytes a webhook signature covers (header values hold no newline)."""
    head = "\n".join((timestamp, nonce, method.upper(), path, ""))
    return head.encode() + body


def sign(secret: str, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    """The X-Kapstan-Signature value for ``body`` sent to ``method path`` at ``timestamp``."""
    message = canonical(timestamp, nonce, method, path, body)
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def body_digest(secret: str, body: bytes) -> str:
    """What identifies an accepted body in memory and the audit log (keyed: see above)."""
    return hmac.new(secret.encode(), b"kapstan webhook body\n" + body, hashlib.sha256).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hook_secret(values: Mapping[str, Value], app: str) -> str:
    value = values.get(WEBHOOK_SECRET_KEY)
    if not isinstance(value, SecretValue) or not value.reveal():
        raise NotFoundError(
            f"application {app!r} has no webhook secret; create one with "
            f"POST /api/v1/applications/{app}/webhook"
        )
    return value.reveal()


@dataclass(frozen=True)
class Signed:
    """What a correctly signed, fresh request is remembered by."""

    timestamp: str
    nonce: str
    digest: str  # body_digest of its body


def check_signature(
    secret: str,
    request: tuple[str, str],
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> Signed:
    """The parts of a correctly signed, fresh request to ``request`` (method, path);
    AuthError otherwise."""
    timestamp = headers.get("x-kapstan-timestamp", "")
    nonce = headers.get("x-kapstan-nonce", "")
    signature = headers.get("x-kapstan-signature", "")
    if not (timestamp and nonce and signature):
        raise AuthError(
            "a webhook needs the headers X-Kapstan-Timestamp (Unix seconds), X-Kapstan-Nonce "
            f"(unique per request) and {HOW_TO_SIGN}"
        )
    if len(nonce) > MAX_NONCE:
        raise InputError(f"X-Kapstan-Nonce is longer than {MAX_NONCE} characters")
    method, path = request
    if not hmac.compare_digest(sign(secret, timestamp, nonce, method, path, body), signature):
        raise AuthError(
            f"the webhook signature does not match {method} {path} with these headers and "
            f"body; sign with the application's webhook secret as {HOW_TO_SIGN}"
        )
    try:
        sent = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise AuthError("X-Kapstan-Timestamp must be Unix seconds") from None
    if abs((now - sent).total_seconds()) > WINDOW_SECONDS:
        raise AuthError(
            f"the webhook timestamp is more than {int(WINDOW_SECONDS)} seconds from the server's "
            "clock; send the current time (and check the CI machine's clock)"
        )
    return Signed(timestamp, nonce, body_digest(secret, body))


def check_replay(
    store: Store,
    cache: NonceCache,
    app: str,
    signed: Signed,
    now: datetime,
    client: Mapping[str, str] | None = None,
) -> int:
    """Claim this nonce and body for ``app`` (the claim's id); ConflictError if a request
    within the window holds either (memory first, then the store, shared by every process).
    ``client``: who sent it, recorded with the claim."""
    used = ConflictError(
        "this webhook nonce was used already (a replayed request); send a new nonce per request"
    )
    again = ConflictError(
        f"this webhook body was accepted already in the last {int(WINDOW_SECONDS)} seconds (a "
        "replayed request, whatever its nonce); to send the same change again, give it "
        'another "message" or wait'
    )
    if not cache.add(f"{app}\0nonce\0{signed.nonce}"):
        raise used
    if not cache.add(f"{app}\0body\0{signed.digest}"):
        raise again
    since = now - timedelta(seconds=2 * WINDOW_SECONDS)
    try:
        claim = store.claim_webhook(
            app, nonce=signed.nonce, digest=signed.digest, since=since, details=client
        )
    except BaseException:
        forget(store, cache, app, signed, None)
        raise
    if claim.id is None:  # another process (or a restart ago) has it: keep it remembered
        raise used if claim.clash == "nonce" else again
    return claim.id


def forget(store: Store, cache: NonceCache, app: str, signed: Signed, claim: int | None) -> None:
    """Let a request that was not applied (it failed after ``check_replay``) be sent again."""
    cache.discard(f"{app}\0nonce\0{signed.nonce}")
    cache.discard(f"{app}\0body\0{signed.digest}")
    if claim is not None:
        store.release_webhook(app, claim)


def check_keys(values: Mapping[str, object]) -> None:
    reserved = sorted(k for k in values if k.startswith("kapstan."))
    if reserved:
        raise InputError(
            f"a webhook may not set reserved keys ({', '.join(reserved)}); "
            "change them through the API with a user's token"
        )
    if not values:
        raise InputError('the webhook body sets no key; send {"set": {"key": "value"}}')
