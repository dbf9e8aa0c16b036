"""A compose service's environment (``env_file`` then ``environment``) as config keys.

Each variable becomes the config key ``<service>.env.<NAME>`` with its compose value as the
default, and the Deployment reads it through a ``${...}`` placeholder, so each environment
can set its own value. Values that use compose variables keep them as placeholders instead.
"""

from __future__ import annotations

import re
from typing import Any

from kapstan.errors import InputError
from kapstan.importers.composecontext import ComposeContext
from kapstan.importers.composevars import read_env_file
from kapstan.importers.names import key_part
from kapstan.importers.yamlio import Quoted
from kapstan.templates.folders import resolve_inside

_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE", re.I)

Entry = tuple[str, str | None, bool, tuple[str | int, ...]]


def environment(
    ctx: ComposeContext, source: str, spec: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """(container env, [(NAME, value as resolved)]) for one compose service."""
    merged: dict[str, Entry] = {}
    for entry in _env_files(ctx, source, spec.get("env_file")):
        merged[entry[0]] = entry
    for entry in _environment(ctx, source, spec.get("environment")):
        merged[entry[0]] = entry
    service = ctx.names[source]
    env: list[dict[str, Any]] = []
    values: list[tuple[str, str]] = []
    for name, value, interpolate, path in merged.values():
        where = ctx.where(source, *path)
        if interpolate and value is not None and "$" in value:
            env.append({"name": name, "value": Quoted(ctx.variables.placeholders(value, where))})
            values.append((name, ctx.variables.resolve_quietly(value)))
            continue
        key = f"{service}.env.{key_part(name)}"
        if value is None:
            ctx.report.add(
                where,
                f"{name} has no value (compose reads it from the shell): config key {key} "
                "defaults to an empty string; set it per environment",
            )
        if _SECRET_NAME.search(name):
            ctx.report.add(
                where, f"{name} looks like a secret: make config key {key} a secret value"
            )
        ctx.config[key] = value or ""
        env.append({"name": name, "value": Quoted(f"${{{key}}}")})
        values.append((name, value or ""))
    return env, values


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


def _env_files(ctx: ComposeContext, source: str, value: Any) -> list[Entry]:
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
            ctx.add(source, where, f"optional env file {path_text} not found: skipped")
            continue
        try:  # env files are read from the compose folder only, never through a link out
            path = resolve_inside(ctx.file.parent, path)
        except InputError as err:
            raise ctx.fail(source, where, f"env file {path_text}: {err}") from None
        for name, text in read_env_file(path, ctx.where(source, *where)).items():
            out.append((name, text, False, where))
    return out
