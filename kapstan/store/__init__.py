"""The store: SQLAlchemy models, Alembic migrations and the ``Store`` repository.

SQLite (WAL) by default, PostgreSQL (psycopg 3) by URL. Records handed out are frozen
dataclasses from ``kapstan.model.records`` (re-exported here); versions and revisions
never change.
"""

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
from kapstan.store.repository import Store

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
