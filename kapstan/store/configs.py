"""Configs: every change is a new, immutable, numbered version holding all the values."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.model.records import ConfigKeys, ConfigVersion
from kapstan.model.values import SecretValue, Value
from kapstan.store import codec
from kapstan.store.base import Repository
from kapstan.store.config_rows import (
    LIVE_CONFIG,
    find_config,
    find_config_version,
    new_config,
    read_version,
    write_version,
)
from kapstan.store.names import check_name
from kapstan.store.tables import ConfigRow, ConfigValueRow, ConfigVersionRow

ConfigRef = tuple[str, int | None]  # (config, version); None: its latest


class ConfigStore(Repository):
    def create_config(
        self, name: str, values: Mapping[str, Value], *, author: str, message: str = ""
    ) -> ConfigVersion:
        """A new config ``name`` with version 1 = ``values``; ConflictError if it exists."""
        check_name("config", name)

        def work(session: Session) -> ConfigVersion:
            config = new_config(session, name, self._now())
            return write_version(session, config, values, self._box, author, message, self._now())

        return self._write(work)

    def add_config_version(
        self,
        name: str,
        values: Mapping[str, Value],
        *,
        author: str,
        message: str = "",
        expected_version: int | None = None,
        made_plain: Collection[str] = (),
    ) -> ConfigVersion:
        """The next version of ``name``: a full snapshot of ``values``.

        ``expected_version``: the version the caller's edit started from; if another
        version was saved since, ConflictError instead of silently losing that change.
        A key secret in the latest version and given a plain value here is an InputError
        unless ``made_plain`` names it: a secret never turns plain by accident, whatever
        the caller (``kapstan.actions.configs`` keeps such values secret before this).
        """

        def work(session: Session) -> ConfigVersion:
            config = find_config(session, name, lock=True)
            latest = find_config_version(session, config, None)
            if expected_version is not None and latest.version != expected_version:
                raise ConflictError(
                    f"config {name!r} changed while this edit was made: version "
                    f"{latest.version} was saved by {latest.author} after version "
                    f"{expected_version}; run the command again to edit the latest"
                )
            _check_stays_secret(session, name, latest, values, made_plain)
            return write_version(session, config, values, self._box, author, message, self._now())

        return self._write(work)

    def get_config(self, name: str, version: int | None = None) -> ConfigVersion:
        """Version ``version`` of ``name``; the latest when ``version`` is None."""

        def work(session: Session) -> ConfigVersion:
            config = find_config(session, name)
            return read_version(
                session, config, find_config_version(session, config, version), self._box
            )

        return self._read(work)

    def config_history(self, name: str) -> list[ConfigVersion]:
        """Every version of ``name``, oldest first."""

        def work(session: Session) -> list[ConfigVersion]:
            config = find_config(session, name)
            rows = session.scalars(
                select(ConfigVersionRow)
                .where(ConfigVersionRow.config_id == config.id)
                .order_by(ConfigVersionRow.version)
            )
            return [read_version(session, config, row, self._box) for row in rows]

        return self._read(work)

    def list_configs(self) -> list[ConfigVersion]:
        """The latest version of every config, by name."""

        def work(session: Session) -> list[ConfigVersion]:
            configs = session.scalars(select(ConfigRow).where(LIVE_CONFIG).order_by(ConfigRow.name))
            return [
                read_version(session, config, find_config_version(session, config, None), self._box)
                for config in configs
            ]

        return self._read(work)

    def config_keys(
        self, refs: Iterable[ConfigRef], keys: Collection[str]
    ) -> dict[ConfigRef, ConfigKeys]:
        """For each (config, version or None for the latest): the version it is and its
        values of ``keys``, in a fixed number of queries however many refs are asked.

        NotFoundError, as ``get_config`` says it, if a config or a version does not exist.
        """
        wanted = set(refs)
        if not wanted:
            return {}

        def work(session: Session) -> dict[ConfigRef, ConfigKeys]:
            chosen = _resolve(session, wanted)
            ids = sorted({version.id for _, version in chosen.values()})
            rows = session.scalars(
                select(ConfigValueRow)
                .where(
                    ConfigValueRow.config_version_id.in_(ids), ConfigValueRow.key.in_(sorted(keys))
                )
                .order_by(ConfigValueRow.config_version_id, ConfigValueRow.key)
            )
            by_version: dict[int, list[ConfigValueRow]] = {}
            for row in rows:
                by_version.setdefault(row.config_version_id, []).append(row)
            out: dict[ConfigRef, ConfigKeys] = {}
            for ref, (config, version) in chosen.items():
                what = f"config {config.name!r} version {version.version}"
                values = codec.decode(what, by_version.get(version.id, []), self._box)
                out[ref] = ConfigKeys(config.name, version.version, values)
            return out

        return self._read(work)


def _check_stays_secret(
    session: Session,
    name: str,
    latest: ConfigVersionRow,
    values: Mapping[str, Value],
    made_plain: Collection[str],
) -> None:
    secret = session.scalars(
        select(ConfigValueRow.key).where(
            ConfigValueRow.config_version_id == latest.id, ConfigValueRow.secret.is_(True)
        )
    )
    turned = sorted(
        key
        for key in secret
        if key in values and not isinstance(values[key], SecretValue) and key not in made_plain
    )
    if turned:
        raise InputError(
            f"config {name!r} key(s) {', '.join(map(repr, turned))} are secret in version "
            f"{latest.version}: a new value must be a secret too, or the key made plain on "
            "purpose (`kapstan config set --plain`)"
        )


def _resolve(
    session: Session, refs: set[ConfigRef]
) -> dict[ConfigRef, tuple[ConfigRow, ConfigVersionRow]]:
    """The config and version rows of each ref, in three queries."""
    names = sorted({name for name, _ in refs})
    configs = {
        c.name: c
        for c in session.scalars(select(ConfigRow).where(ConfigRow.name.in_(names), LIVE_CONFIG))
    }
    ids = [c.id for c in configs.values()]
    latest: dict[int, int] = {
        config_id: number
        for config_id, number in session.execute(
            select(ConfigVersionRow.config_id, func.max(ConfigVersionRow.version))
            .where(ConfigVersionRow.config_id.in_(ids))
            .group_by(ConfigVersionRow.config_id)
        )
    }
    numbers: dict[ConfigRef, tuple[ConfigRow, int | None]] = {}
    for name, version in sorted(refs, key=lambda ref: (ref[0], ref[1] or 0)):
        config = configs.get(name)
        if config is None:
            raise NotFoundError(f"config {name!r} not found")
        numbers[(name, version)] = (config, latest.get(config.id) if version is None else version)
    pairs = sorted({(c.id, n) for c, n in numbers.values() if n is not None})
    versions = {
        (row.config_id, row.version): row
        for row in session.scalars(
            select(ConfigVersionRow).where(
                tuple_(ConfigVersionRow.config_id, ConfigVersionRow.version).in_(pairs)
            )
        )
    }
    out: dict[ConfigRef, tuple[ConfigRow, ConfigVersionRow]] = {}
    for ref, (config, number) in numbers.items():
        row = versions.get((config.id, number)) if number is not None else None
        if row is None:
            raise NotFoundError(
                f"config {config.name!r} has no version {ref[1]} "
                f"(latest is {latest.get(config.id)})"
            )
        out[ref] = (config, row)
    return out
