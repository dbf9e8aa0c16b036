"""The CLI and API fixtures, shared with tests/cli and tests/api."""

from __future__ import annotations

from tests.api.conftest import api  # noqa: F401
from tests.cli.conftest import db_url, kapstan, store  # noqa: F401
