"""Webhook claims: a signed request's nonce and body are taken in the store, once.

A claim is an audit entry ``webhook.claim`` (details: nonce, bodyDigest), appended in the
same transaction that finds no claim and no acceptance of the same nonce or body for that
application within the window. Claims of one application are taken one at a time (on
PostgreSQL the application's row is locked; SQLite's writers queue on BEGIN IMMEDIATE),
so when two server processes or workers receive the same request at once, exactly one
takes it and the other is refused. A request that fails after its claim (it was not
applied, it may be sent again) gives the claim back with a ``webhook.release`` entry
naming it: the audit log stays append-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kapstan.store.applications import find_application
from kapstan.store.base import Repository
from kapstan.store.payloads import plain_json
from kapstan.store.tables import AuditRow

CLAIM, RELEASE, ACCEPT = "webhook.claim", "webhook.release", "webhook.accept"
ACTOR = "webhook"


@dataclass(frozen=True)
class HookClaim:
    """The claim taken (``id``), or what an earlier request already holds (``clash``)."""

    id: int | None
    clash: str = ""  # "nonce" or "body" when refused


class HookClaimStore(Repository):
    def claim_webhook(
        self,
        app: str,
        *,
        nonce: str,
        digest: str,
        since: datetime,
        details: Mapping[str, Any] | None = None,
    ) -> HookClaim:
        """Take ``nonce`` and body ``digest`` for ``app``, unless a claim not given back or an
        acceptance since ``since`` holds either (then ``clash`` says which)."""
        extra = plain_json(f"webhook claim of {app!r}", details) or {}

        def work(session: Session) -> HookClaim:
            application = find_application(session, app, lock=True)
            assert application is not None
            clash = _clash(session, app, nonce, digest, since)
            if clash:
                return HookClaim(None, clash)
            row = AuditRow(
                at=self._now(),
                actor=ACTOR,
                action=CLAIM,
                kind="application",
                name=app,
                details={**extra, "nonce": nonce, "bodyDigest": digest},
            )
            session.add(row)
            session.flush()
            return HookClaim(row.id)

        return self._write(work)

    def release_webhook(self, app: str, claim: int) -> None:
        """Give claim ``claim`` back: its request was not applied and may be sent again."""
        row = AuditRow(
            at=self._now(),
            actor=ACTOR,
            action=RELEASE,
            kind="application",
            name=app,
            details={"claim": claim},
        )
        self._write(lambda session: session.add(row))


def _clash(session: Session, app: str, nonce: str, digest: str, since: datetime) -> str:
    rows = session.execute(
        select(AuditRow.id, AuditRow.action, AuditRow.details).where(
            AuditRow.kind == "application",
            AuditRow.name == app,
            AuditRow.at >= since,
            AuditRow.action.in_((CLAIM, RELEASE, ACCEPT)),
        )
    ).all()
    released = {(d or {}).get("claim") for _, action, d in rows if action == RELEASE}
    found = ""
    for row_id, action, details in rows:
        if action == RELEASE or (action == CLAIM and row_id in released):
            continue
        if (details or {}).get("nonce") == nonce:
            return "nonce"
        if (details or {}).get("bodyDigest") == digest:
            found = "body"
    return found
