"""Configs on a Kapstan server: each answer decoded back into the local side's records
(``ConfigSummary``, ``Written``, ``ConfigDiff``). Secret values never come back: they
arrive as ``<redacted>`` and are rebuilt as ``SecretValue(REDACTED)``, printing as local
ones do. Apart from ``kapstan.cli.backend.configs`` so that the local commands load neither
the API's schemas nor the HTTP client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kapstan import schemas as s
from kapstan.actions.configfiles import read_config_file
from kapstan.actions.refs import Ref
from kapstan.cli.backend.configs import ConfigSummary, HistoryEntry, Written
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.errors import InputError
from kapstan.model.values import REDACTED, SecretValue, Value
from kapstan.plan.configdiff import ConfigDiff, KeyChange
from kapstan.store import ConfigVersion


class RemoteConfigs:
    """The server records its caller as the author of every change."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def set(
        self,
        name: str,
        values: Mapping[str, Value],
        *,
        author: str,
        message: str,
        plain: bool = False,
    ) -> Written:
        secret = [k for k, v in values.items() if isinstance(v, SecretValue)]
        if secret and len(secret) != len(values):
            # One request stores all of its values as secrets or none: never half of them.
            raise InputError("set secret and plain values in separate commands")
        sent = {k: v.reveal() if isinstance(v, SecretValue) else v for k, v in values.items()}
        body = {"values": sent, "secret": bool(secret), "message": message, "plain": plain}
        return self._write(name, body)

    def unset(self, name: str, keys: Sequence[str], *, author: str, message: str) -> Written:
        return self._write(name, {"unset": list(keys), "message": message})

    def import_file(
        self, name: str, file: Path, *, replace: bool, author: str, message: str
    ) -> Written:
        values = read_config_file(file)  # read here: errors name this machine's file and line
        return self._write(name, {"values": values, "replace": replace, "message": message})

    def rollback(self, name: str, version: int, *, author: str, message: str) -> Written:
        body = {"version": version, "message": message}
        return _remote(self.client.post(path("configs", name, "rollback"), body))

    def get(self, ref: Ref) -> ConfigVersion:
        return decode.config_version(
            self.client.get(path("configs", ref.name), version=ref.version)
        )

    def history(self, name: str) -> list[HistoryEntry]:
        found = [
            decode.parse(s.ConfigHistoryOut, h)
            for h in self.client.pages(path("configs", name, "history"))
        ]
        return [HistoryEntry(_summary(h), _diff(h.changes)) for h in found]

    def diff(self, name: str, old: int, new: int) -> ConfigDiff:
        answer = self.client.get(path("configs", name, "diff"), old=old, new=new)
        return _diff(decode.parse(s.ConfigDiffOut, answer))

    def list(self) -> list[ConfigSummary]:
        return [
            _summary(decode.parse(s.ConfigVersionOut, c))
            for c in self.client.pages(path("configs"))
        ]

    def _write(self, name: str, body: dict[str, Any]) -> Written:
        return _remote(self.client.post(path("configs", name, "values"), body))


def _remote(answer: Any) -> Written:
    out = decode.parse(s.ConfigWriteOut, answer)
    kept, made = tuple(out.kept_secret), tuple(out.made_plain)
    return Written(_summary(out.version), out.created, kept, made)


def _summary(v: s.ConfigVersionOut) -> ConfigSummary:
    return ConfigSummary(v.name, v.version, v.author, v.message, v.created_at, v.keys)


def _diff(d: s.ConfigDiffOut) -> ConfigDiff:
    return ConfigDiff(
        added=tuple(_change(c) for c in d.added),
        removed=tuple(_change(c) for c in d.removed),
        changed=tuple(_change(c) for c in d.changed),
    )


def _change(c: s.KeyChangeOut) -> KeyChange:
    """A secret side arrives as ``<redacted>``; a plain side of the same change as itself."""
    return KeyChange(c.key, _side(c.old, c.secret), _side(c.new, c.secret))


def _side(value: s.JsonScalar, secret: bool) -> Value:
    return SecretValue(REDACTED) if secret and value == REDACTED else value
