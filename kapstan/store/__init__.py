"""The store: SQLAlchemy models, Alembic migrations and the ``Store`` repository.

SQLite (WAL) by default, PostgreSQL (psycopg 3) by URL. Records handed out are frozen
dataclasses from ``kapstan.model.records`` (re-exported here); versions and revisions
never change.

``Store`` is imported on first use (module ``__getattr__``): the records, ``kapstan.store.crypto``
and the other light modules of the package load without SQLAlchemy and the ORM tables, so a
command that only names a record type, or prints its help, does not pay for them.
"""

from typing import TYPE_CHECKING, Any

from kapstan.model.records import (
    Application,
    Approval,
    ApprovalStatus,
    AuditEntry,
    Cluster,
    ConfigKeys,
    ConfigVersion,
    ConsoleSession,
    Environment,
    LockInfo,
    Revision,
    TemplateVersion,
    TokenInfo,
    User,
)

if TYPE_CHECKING:
    from kapstan.store.repository import Store


def __getattr__(name: str) -> Any:
    if name == "Store":
        from kapstan.store.repository import Store

        return Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Application",
    "Approval",
    "ApprovalStatus",
    "AuditEntry",
    "Cluster",
    "ConfigKeys",
    "ConfigVersion",
    "ConsoleSession",
    "Environment",
    "LockInfo",
    "Revision",
    "Store",
    "TemplateVersion",
    "TokenInfo",
    "User",
]
