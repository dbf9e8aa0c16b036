"""The remote client needs no database: importing it loads neither SQLAlchemy nor the store.

import-linter's ``client-needs-no-store`` contract says so of the source; this checks what a
fresh interpreter actually loads, so an import hidden in a package ``__init__`` counts too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # python -c imports from its working folder
CLIENT_MODULES = ("kapstan.client.decode", "kapstan.client.http", "kapstan.client.credentials")
NOT_LOADED = ("sqlalchemy", "alembic", "kapstan.store", "kapstan.api", "fastapi")


def test_importing_the_client_loads_no_store_and_no_server() -> None:
    probe = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in CLIENT_MODULES)
        + f"print(json.dumps([m for m in {list(NOT_LOADED)!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(done.stdout) == []
