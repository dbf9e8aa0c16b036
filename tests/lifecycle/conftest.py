"""The engine tests' shop (tests/engine/conftest.py), for the application's whole life."""

from __future__ import annotations

from tests.engine.conftest import shop

__all__ = ["shop"]
