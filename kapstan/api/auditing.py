"""Writing the audit log from the API: one entry per change (who, what, from which version
to which). Details are names and versions only: never a config value, so never a secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kapstan.store import AuditEntry, Store

Version = int | str | None


def record(
    store: Store,
    actor: str,
    action: str,
    *,
    kind: str,
    name: str,
    environment: str | None = None,
    from_version: Version = None,
    to_version: Version = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    return store.audit(
        actor,
        action,
        kind=kind,
        name=name,
        environment=environment,
        from_version=None if from_version is None else str(from_version),
        to_version=None if to_version is None else str(to_version),
        details={k: v for k, v in (details or {}).items() if v is not None},
    )
