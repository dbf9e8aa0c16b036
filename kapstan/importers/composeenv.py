"""A compose service's environment (``env_file`` then ``environment``) as config keys.

Each variable becomes the config key ``<service>.env.<NAME>`` with its compose value as the
default, delivered by the service's ``env:`` in kapstan.yaml (a ConfigMap, or the service's
Secret once the key is made secret), so each environment sets its own value and any of
them can be made secret. Values that use compose variables keep them as placeholders in
the manifest instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.errors import InputError
from kapstan.importers.composecontext import ComposeContext, Line
from kapstan.importers.composefiles import FileMount
from kapstan.importers.composevars import read_env_file
from kapstan.importers.names import key_part
from kapstan.importers.yamlio import Quoted
from kapstan.model.values import Scalar
from kapstan.templates.folders import resolve_inside

_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE", re.I)
# ``POSTGRES_PASSWORD_FILE=/run/secrets/db``: the convention of official images for a
# variable that holds the *path* of a file with the secret, not the secret.
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PATH_NAME = re.compile(r"_FILE\Z", re.I)

Entry = tuple[str, str | None, bool, tuple[str | int, ...]]


@dataclass(frozen=True)
class Environment:
    """One service's variables: ``env`` for the container (interpolated values, as
    placeholders), ``bindings`` (config key, NAME) for kapstan.yaml ``env:``, ``values``
    (NAME, value as resolved) for reading references, the keys made, report lines."""

    env: tuple[dict[str, Any], ...]
    bindings: tuple[tuple[str, str], ...]
    values: tuple[tuple[str, str], ...]
    config: dict[str, Scalar]
    lines: tuple[Line, ...]


def environment(
    ctx: ComposeContext, source: str, spec: dict[str, Any], files: Mapping[str, FileMount]
) -> Environment:
    """The variables of compose service ``source``; ``files``: its delivered files by path."""
    merged: dict[str, Entry] = {}
    lines: list[Line] = []
    for entry in _env_files(ctx, source, spec.get("env_file"), lines):
        merged[entry[0]] = entry
    for entry in _environment(ctx, source, spec.get("environment")):
        merged[entry[0]] = entry
    service = ctx.names[source]
    env: list[dict[str, Any]] = []
    bindings: list[tuple[str, str]] = []
    values: list[tuple[str, str]] = []
    config: dict[str, Scalar] = {}
    for name, value, interpolate, path in merged.values():
        where = ctx.where(source, *path)
        if interpolate and value is not None and "$" in value:
            env.append({"name": name, "value": Quoted(ctx.variables.placeholders(value, where))})
            values.append((name, ctx.variables.resolve_quietly(value)))
            continue
        key = f"{service}.env.{key_part(name)}"
        if value is None:
            why = (
                f"{name} has no value (compose reads it from the shell): config key {key} "
                "defaults to an empty string; set it per environment"
            )
            lines.append((where, why))
        advice = _advice(name, value or "", key, files)
        if advice:
            lines.append((where, advice))
        config[key] = value or ""
        if _ENV_NAME.match(name):
            bindings.append((key, name))
        else:  # kapstan.yaml env: takes C identifiers only; k8s takes this one from a manifest
            env.append({"name": name, "value": Quoted(f"${{{key}}}")})
        values.append((name, value or ""))
    return Environment(tuple(env), tuple(bindings), tuple(values), config, tuple(lines))


def _advice(name: str, value: str, key: str, files: Mapping[str, FileMount]) -> str | None:
    """What to do about a variable that holds a secret, or the path of one."""
    if _PATH_NAME.search(name):
        found = files.get(value)
        if found is not None:
            held = "secret config key" if found.secret else "config key"
            return f"{name} is the path of a delivered file: {value} holds {held} {found.key}"
        if _SECRET_NAME.search(name):
            return (
                f"{name} is a path, not a secret: deliver the file {value or 'it names'} from "
                "a secret config key (compose secrets:, or files: in kapstan.yaml)"
            )
        return None
    if _SECRET_NAME.search(name):
        return (
            f"{name} looks like a secret: make config key {key} secret "
            f"(`kapstan config set CONFIG --secret {key}`); {name} then comes from the "
            "service's Secret"
        )
    return None


def _environment(ctx: ComposeContext, source: str, value: Any) -> list[Entry]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [(str(k), _text(v), True, ("environment", str(k))) for k, v in value.items()]
    if isinstance(value, list):
        out: list[Entry] = []
        for index, item in enumerate(value):
            name, eq, text = str(item).partition("=")
            out.append((name, text if eq else None, True, ("environment", index)))
        return out
    raise ctx.fail(
        source, ("environment",), "environment must be a mapping or a list of NAME=VALUE"
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _env_files(ctx: ComposeContext, source: str, value: Any, lines: list[Line]) -> list[Entry]:
    if value is None:
        return []
    out: list[Entry] = []
    for index, item in enumerate(value if isinstance(value, list) else [value]):
        path_text, required = (
            (str(item.get("path", "")), bool(item.get("required", True)))
            if isinstance(item, dict)
            else (str(item), True)
        )
        where = ("env_file", index) if isinstance(value, list) else ("env_file",)
        path = ctx.file.parent / path_text
        if not path.is_file():
            if required:
                raise ctx.fail(source, where, f"env file {path_text} not found (looked in {path})")
            lines.append(
                ctx.note(source, where, f"optional env file {path_text} not found: skipped")
            )
            continue
        try:  # env files are read from the compose folder only, never through a link out
            path = resolve_inside(ctx.file.parent, path)
        except InputError as err:
            raise ctx.fail(source, where, f"env file {path_text}: {err}") from None
        for name, text in read_env_file(path, ctx.where(source, *where)).items():
            out.append((name, text, False, where))
    return out
