"""Fresh SQLite stores already at the newest schema, copied from one migrated per session.

Opening an empty SQLite file runs every migration (a tenth of a second, mostly waiting on
the disk); the CLI, API and store tests each start from a new store, hundreds of times a
run. They get a copy of one store migrated once instead, as the PostgreSQL tests get a
copy of a migrated template database (tests/store/postgres.py). The tests of the
migrations themselves still start from an empty file.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from kapstan.store import Store

_TEMPLATE: list[tempfile.TemporaryDirectory[str]] = []  # one, made on first use


def migrated_sqlite(path: Path) -> Path:
    """Put a migrated, empty store at ``path`` (which must not exist yet); return ``path``."""
    if not _TEMPLATE:
        folder = tempfile.TemporaryDirectory(prefix="kapstan-migrated-")  # removed at exit
        Store.open(str(Path(folder.name) / "kapstan.db"), environ={}).close()
        _TEMPLATE.append(folder)
    if path.exists():
        raise FileExistsError(f"{path}: a test store is already there")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(_TEMPLATE[0].name) / "kapstan.db", path)
    return path
