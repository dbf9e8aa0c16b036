"""CI webhooks: a signed request sets config keys of one application (and may deploy).

Each application has its own secret: the secret config key ``kapstan.webhookSecret`` of
its config. A request carries

    X-Kapstan-Timestamp   Unix seconds; refused if more than 5 minutes from now
    X-Kapstan-Nonce       unique per request; a nonce seen before is refused (replay)
    X-Kapstan-Signature   sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>

Nonces are remembered in memory (per process) and looked up in the audit log, where every
accepted request records its nonce: so a replay is caught across restarts and replicas
too (two replicas receiving the same request within milliseconds is the window left).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from kapstan.api.flows.nonces import WINDOW_SECONDS, NonceCache
from kapstan.api.keys import WEBHOOK_SECRET_KEY
from kapstan.errors import AuthError, ConflictError, InputError, NotFoundError
from kapstan.model.values import SecretValue, Value
from kapstan.store import Store

MAX_HOOK_BODY = 64 * 1024
MAX_NONCE = 200


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


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


def check_signature(
    secret: str, headers: Mapping[str, str], body: bytes, now: datetime
) -> tuple[str, str]:
    """(timestamp, nonce) of a correctly signed, fresh request; AuthError otherwise."""
    timestamp = headers.get("x-kapstan-timestamp", "")
    nonce = headers.get("x-kapstan-nonce", "")
    signature = headers.get("x-kapstan-signature", "")
    if not (timestamp and nonce and signature):
        raise AuthError(
            "a webhook needs the headers X-Kapstan-Timestamp, X-Kapstan-Nonce and "
            "X-Kapstan-Signature (sha256=<hex HMAC of timestamp + '.' + body>)"
        )
    if len(nonce) > MAX_NONCE:
        raise InputError(f"X-Kapstan-Nonce is longer than {MAX_NONCE} characters")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise AuthError("the webhook signature does not match; sign timestamp + '.' + body "
                        "with the application's webhook secret")  # fmt: skip
    try:
        sent = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise AuthError("X-Kapstan-Timestamp must be Unix seconds") from None
    if abs((now - sent).total_seconds()) > WINDOW_SECONDS:
        raise AuthError(
            f"the webhook timestamp is more than {int(WINDOW_SECONDS)} seconds from the server's "
            "clock; send the current time (and check the CI machine's clock)"
        )
    return timestamp, nonce


def check_nonce(store: Store, cache: NonceCache, app: str, nonce: str, now: datetime) -> None:
    """ConflictError if ``nonce`` was used for ``app`` within the window (memory, then audit)."""
    replay = ConflictError(
        "this webhook nonce was used already (a replayed request); send a new nonce per request"
    )
    if not cache.add(f"{app}\0{nonce}"):
        raise replay
    since = now - timedelta(seconds=2 * WINDOW_SECONDS)
    for entry in store.list_audit(limit=1000, offset=0, actor=None, kind="application",
                                  name=app, since=since):  # fmt: skip
        details = entry.details or {}
        if entry.action == "webhook.accept" and details.get("nonce") == nonce:
            raise replay


def check_keys(values: Mapping[str, object]) -> None:
    reserved = sorted(k for k in values if k.startswith("kapstan."))
    if reserved:
        raise InputError(
            f"a webhook may not set reserved keys ({', '.join(reserved)}); "
            "change them through the API with a user's token"
        )
    if not values:
        raise InputError('the webhook body sets no key; send {"set": {"key": "value"}}')
