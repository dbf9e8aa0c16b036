"""Alembic migration scripts for the store (run by ``kapstan.store.migrate``)."""
