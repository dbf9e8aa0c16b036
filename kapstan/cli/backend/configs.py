"""Configs: set, unset, import, get, list, history, diff, roll back; locally or through a server.

Tables of versions print a key count, not values: ``list``/``history`` and the writes
return ``ConfigSummary`` (what the server sends for them too), and only ``get`` returns
a whole ``ConfigVersion``. The server's side is ``kapstan.cli.backend.remoteconfigs``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from kapstan.actions import configs
from kapstan.actions.refs import Ref
from kapstan.model.values import Value
from kapstan.plan.configdiff import ConfigDiff
from kapstan.store import ConfigVersion, Store


@dataclass(frozen=True)
class ConfigSummary:
    """A config version without its values: what tables of versions and writes print."""

    name: str
    version: int
    author: str
    message: str
    created_at: datetime
    keys: int

    @classmethod
    def of(cls, v: ConfigVersion) -> ConfigSummary:
        return cls(v.name, v.version, v.author, v.message, v.created_at, len(v.values))


@dataclass(frozen=True)
class Written:
    """The version now current; ``created`` False when the values did not change."""

    version: ConfigSummary
    created: bool
    kept_secret: tuple[str, ...] = ()
    made_plain: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryEntry:
    version: ConfigSummary
    changes: ConfigDiff


class ConfigsPort(Protocol):
    # In each class ``list`` follows the methods annotated ``list[...]``: it hides the builtin.

    def set(
        self,
        name: str,
        values: Mapping[str, Value],
        *,
        author: str,
        message: str,
        plain: bool = False,
    ) -> Written: ...

    def unset(self, name: str, keys: Sequence[str], *, author: str, message: str) -> Written: ...

    def import_file(
        self, name: str, file: Path, *, replace: bool, author: str, message: str
    ) -> Written: ...

    def rollback(self, name: str, version: int, *, author: str, message: str) -> Written: ...

    def get(self, ref: Ref) -> ConfigVersion: ...

    def history(self, name: str) -> list[HistoryEntry]: ...

    def diff(self, name: str, old: int, new: int) -> ConfigDiff: ...

    def list(self) -> list[ConfigSummary]: ...


class LocalConfigs:
    def __init__(self, store: Store) -> None:
        self.store = store

    def set(
        self,
        name: str,
        values: Mapping[str, Value],
        *,
        author: str,
        message: str,
        plain: bool = False,
    ) -> Written:
        written = configs.set_values(
            self.store, name, values, author=author, message=message, plain=plain
        )
        return _local(written)

    def unset(self, name: str, keys: Sequence[str], *, author: str, message: str) -> Written:
        return _local(configs.unset_keys(self.store, name, keys, author=author, message=message))

    def import_file(
        self, name: str, file: Path, *, replace: bool, author: str, message: str
    ) -> Written:
        written = configs.import_config(
            self.store, name, file, author=author, message=message, replace=replace
        )
        return _local(written)

    def rollback(self, name: str, version: int, *, author: str, message: str) -> Written:
        written = configs.rollback_config(self.store, name, version, author=author, message=message)
        return _local(written)

    def get(self, ref: Ref) -> ConfigVersion:
        return self.store.get_config(ref.name, ref.version)

    def history(self, name: str) -> list[HistoryEntry]:
        entries = configs.config_history(self.store, name)
        return [HistoryEntry(ConfigSummary.of(e.version), e.changes) for e in entries]

    def diff(self, name: str, old: int, new: int) -> ConfigDiff:
        return configs.diff_config_versions(self.store, name, old, new)

    def list(self) -> list[ConfigSummary]:
        return [ConfigSummary.of(v) for v in self.store.list_configs()]


def _local(written: configs.ConfigWrite) -> Written:
    summary = ConfigSummary.of(written.version)
    return Written(summary, written.created, written.kept_secret, written.made_plain)
