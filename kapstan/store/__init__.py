"""The store: SQLAlchemy models, Alembic migrations and the ``Store`` repository.

SQLite (WAL) by default, PostgreSQL (psycopg 3) by URL. Records handed out are frozen
dataclasses from ``kapstan.store.records``; versions and revisions never change.
"""

from kapstan.store.records import (
    Application,
    ConfigVersion,
    Environment,
    LockInfo,
    Revision,
    TemplateVersion,
)
from kapstan.store.repository import Store

__all__ = [
    "Application",
    "ConfigVersion",
    "Environment",
    "LockInfo",
    "Revision",
    "Store",
    "TemplateVersion",
]
