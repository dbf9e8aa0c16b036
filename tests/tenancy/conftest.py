"""The CLI, API and server fixtures, shared with tests/cli, tests/api and tests/remote."""

from __future__ import annotations

from tests.api.conftest import api  # noqa: F401
from tests.cli.conftest import db_url, kapstan, store  # noqa: F401
from tests.remote.conftest import cli, server  # noqa: F401
from tests.web.conftest import console  # noqa: F401
