"""Tokens saved by ``kapstan login``, one per server URL, in a file only the user can read.

The file is ``credentials.json`` in the user's config directory (``$XDG_CONFIG_HOME/kapstan``
on Linux). It is written whole to a temporary file and renamed, mode 0600 from the start,
so it is never half-written nor readable by others.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from kapstan.errors import InputError


def credentials_file() -> Path:
    return Path(platformdirs.user_config_dir("kapstan")) / "credentials.json"


def _load() -> dict[str, Any]:
    where = credentials_file()
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{where}: cannot read saved credentials ({exc}); delete the file and log in again"
        ) from exc
    return data if isinstance(data, dict) else {}


def _write(data: dict[str, Any]) -> None:
    where = credentials_file()
    where.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=where.parent, prefix=".credentials-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp makes it 0600
            json.dump(data, out, indent=2, sort_keys=True)
        os.replace(temporary, where)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Saved:
    user: str
    token: str
    token_id: int | None


def saved_entry(server: str) -> Saved | None:
    entry = _load().get(server)
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        return None
    token_id = entry.get("tokenId")
    return Saved(
        user=str(entry.get("user", "")),
        token=entry["token"],
        token_id=token_id if isinstance(token_id, int) else None,
    )


def saved_token(server: str) -> str | None:
    entry = saved_entry(server)
    return entry.token if entry else None


def save_token(server: str, user: str, token: str, token_id: int | None = None) -> Path:
    data = _load()
    data[server] = {"user": user, "token": token, "tokenId": token_id}
    _write(data)
    return credentials_file()


def forget(server: str) -> bool:
    """Remove the server's token; False if none was saved."""
    data = _load()
    if data.pop(server, None) is None:
        return False
    _write(data)
    return True
