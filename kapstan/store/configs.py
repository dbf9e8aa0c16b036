"""Configs: every change is a new, immutable, numbered version holding all the values."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError
from kapstan.model.values import Value
from kapstan.store.base import Repository
from kapstan.store.config_rows import (
    find_config,
    find_config_version,
    new_config,
    read_version,
    write_version,
)
from kapstan.store.names import check_name
from kapstan.store.records import ConfigVersion
from kapstan.store.tables import ConfigRow, ConfigVersionRow


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
    ) -> ConfigVersion:
        """The next version of ``name``: a full snapshot of ``values``.

        ``expected_version``: the version the caller's edit started from; if another
        version was saved since, ConflictError instead of silently losing that change.
        """

        def work(session: Session) -> ConfigVersion:
            config = find_config(session, name, lock=True)
            if expected_version is not None:
                latest = find_config_version(session, config, None)
                if latest.version != expected_version:
                    raise ConflictError(
                        f"config {name!r} changed while this edit was made: version "
                        f"{latest.version} was saved by {latest.author} after version "
                        f"{expected_version}; run the command again to edit the latest"
                    )
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
            configs = session.scalars(select(ConfigRow).order_by(ConfigRow.name))
            return [
                read_version(session, config, find_config_version(session, config, None), self._box)
                for config in configs
            ]

        return self._read(work)
