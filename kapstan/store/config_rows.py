"""Config rows inside one session: find, create, add or copy a version, read it back.

Shared by configs (the public methods), environments (clone) and applications (checks).
The caller holds the transaction and, when adding a version, the config's row lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError, NotFoundError
from kapstan.model.records import ConfigVersion
from kapstan.model.values import Value
from kapstan.store import codec
from kapstan.store.tables import ConfigRow, ConfigValueRow, ConfigVersionRow

# A deleted config keeps its rows (revisions name its versions) but is never found by name.
LIVE_CONFIG = ConfigRow.deleted_at.is_(None)


def find_config(session: Session, name: str, *, lock: bool = False) -> ConfigRow:
    query = select(ConfigRow).where(ConfigRow.name == name, LIVE_CONFIG)
    config = session.scalars(query.with_for_update() if lock else query).first()
    if config is None:
        raise NotFoundError(f"config {name!r} not found")
    return config


def find_config_version(
    session: Session, config: ConfigRow, version: int | None
) -> ConfigVersionRow:
    latest = session.scalar(
        select(func.max(ConfigVersionRow.version)).where(ConfigVersionRow.config_id == config.id)
    )
    wanted = latest if version is None else version
    row = session.scalars(
        select(ConfigVersionRow).where(
            ConfigVersionRow.config_id == config.id, ConfigVersionRow.version == wanted
        )
    ).first()
    if row is None:
        raise NotFoundError(f"config {config.name!r} has no version {version} (latest is {latest})")
    return row


def new_config(session: Session, name: str, now: datetime) -> ConfigRow:
    taken = select(ConfigRow.id).where(ConfigRow.name == name, LIVE_CONFIG)
    if session.scalars(taken).first() is not None:
        raise ConflictError(f"config {name!r} exists already")
    config = ConfigRow(name=name, created_at=now)
    session.add(config)
    session.flush()
    return config


def write_version(
    session: Session,
    config: ConfigRow,
    values: Mapping[str, Value],
    box: codec.BoxSource,
    author: str,
    message: str,
    now: datetime,
) -> ConfigVersion:
    """Add the next version of ``config`` with ``values``; the caller holds the lock."""
    rows = codec.encode(config.name, values, box)
    version = _next_version(session, config, author, message, now)
    for row in rows:
        row.config_version_id = version.id
    session.add_all(rows)
    session.flush()
    return _record(config, version, {key: values[key] for key in sorted(values)})


def copy_version(
    session: Session,
    source: ConfigVersionRow,
    target: ConfigRow,
    author: str,
    message: str,
    now: datetime,
) -> None:
    """Add the next version of ``target`` with ``source``'s rows, ciphertexts as they are."""
    version = _next_version(session, target, author, message, now)
    for row in session.scalars(
        select(ConfigValueRow).where(ConfigValueRow.config_version_id == source.id)
    ).all():
        session.add(
            ConfigValueRow(
                config_version_id=version.id,
                key=row.key,
                value_json=row.value_json,
                secret=row.secret,
                ciphertext=row.ciphertext,
            )
        )
    session.flush()


def _next_version(
    session: Session, config: ConfigRow, author: str, message: str, now: datetime
) -> ConfigVersionRow:
    latest = session.scalar(
        select(func.max(ConfigVersionRow.version)).where(ConfigVersionRow.config_id == config.id)
    )
    version = ConfigVersionRow(
        config_id=config.id,
        version=(latest or 0) + 1,
        author=author,
        message=message,
        created_at=now,
    )
    session.add(version)
    session.flush()
    return version


def read_version(
    session: Session, config: ConfigRow, version: ConfigVersionRow, box: codec.BoxSource
) -> ConfigVersion:
    rows = session.scalars(
        select(ConfigValueRow)
        .where(ConfigValueRow.config_version_id == version.id)
        .order_by(ConfigValueRow.key)
    )
    what = f"config {config.name!r} version {version.version}"
    return _record(config, version, codec.decode(what, rows, box))


def _record(config: ConfigRow, row: ConfigVersionRow, values: dict[str, Value]) -> ConfigVersion:
    return ConfigVersion(
        name=config.name,
        version=row.version,
        values=values,
        author=row.author,
        message=row.message,
        created_at=row.created_at,
    )
