"""The raw row of a config key in the store's database, read with SQL, not with the store:
what an encrypted value looks like on disk (issue 12, #6)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy


@dataclass(frozen=True)
class RawValue:
    version: int
    secret: bool
    value_json: str | None
    ciphertext: str | None


def latest_raw(url: str, config: str, key: str) -> RawValue:
    """The row of ``key`` in the latest version of ``config`` holding it."""
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sqlalchemy.text(
                    "SELECT v.version, cv.secret, cv.value_json, cv.ciphertext "
                    "FROM config_values cv JOIN config_versions v ON cv.config_version_id = v.id "
                    "JOIN configs c ON v.config_id = c.id "
                    "WHERE c.name = :config AND cv.key = :key ORDER BY v.version DESC LIMIT 1"
                ),
                {"config": config, "key": key},
            ).one()
    finally:
        engine.dispose()
    return RawValue(int(row[0]), bool(row[1]), row[2], row[3])


def assert_encrypted(raw: RawValue, plain: str) -> None:
    assert raw.secret and raw.value_json is None and raw.ciphertext, raw
    assert plain not in raw.ciphertext
