"""Files a compose service mounts: ``secrets:``, ``configs:`` and bind mounts of one file.

Each becomes a config key delivered as a file (``files:`` in kapstan.yaml). The service's
config volume (``kapstan-config``) is mounted file by file (``subPath``) at the compose
target, so one service may mount files in several folders (and a manifest mount of that
volume replaces Kapstan's default one at ``filesPath``). A config or a bind-mounted file
keeps its text as the key's default; a secret's key has none (its text never enters the
template): the report says how to set it, per environment, from the same file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kapstan.errors import InputError
from kapstan.importers.composecontext import ComposeContext, FileSource, Line
from kapstan.importers.names import key_part
from kapstan.importers.sources import read_text
from kapstan.importers.yamlio import Lines
from kapstan.render.configdelivery import VOLUME_NAME
from kapstan.templates.folders import resolve_inside

KINDS = ("secrets", "configs")


@dataclass(frozen=True)
class FileMount:
    """Config ``key`` mounted at ``target``; ``text`` is a plain file's text (None: secret)."""

    key: str
    target: str
    secret: bool
    text: str | None = None

    @property
    def volume_mount(self) -> dict[str, Any]:
        # The delivered volume holds one item per key, named by the key itself.
        return {
            "name": VOLUME_NAME,
            "mountPath": self.target,
            "subPath": self.key,
            "readOnly": True,
        }


@dataclass(frozen=True)
class Mounted:
    """What one service's ``secrets``/``configs`` (or one bind mount) mount, and report lines."""

    mounts: tuple[FileMount, ...]
    lines: tuple[Line, ...] = ()


def definitions(
    file: Path, lines: Lines, data: Mapping[str, Any]
) -> tuple[dict[tuple[str, str], FileSource], list[Line]]:
    """The top-level ``secrets`` and ``configs`` as config keys; a bad entry is an error."""
    out: dict[tuple[str, str], FileSource] = {}
    notes: list[Line] = []
    for kind in KINDS:
        section = data.get(kind) or {}
        if not isinstance(section, dict):
            where = f"{file}:{lines.get((kind,), 0)}"
            raise InputError(f"{where}: the top-level {kind!r} must be a mapping of names")
        for name, spec in section.items():
            where = f"{file.name}:{lines.get((kind, name), 0)}: {kind[:-1]} {name!r}"
            found, line = _definition(file, kind, str(name), spec if isinstance(spec, dict) else {})
            out[(kind, str(name))] = found
            notes.append((where, line))
    return out, notes


def _definition(file: Path, kind: str, name: str, spec: dict[str, Any]) -> tuple[FileSource, str]:
    key = f"{kind}.{key_part(name)}"
    if spec.get("external"):
        return FileSource(kind, name, None), (
            f"external: not translated; deliver it from a {'secret ' if kind == 'secrets' else ''}"
            "config key (files: in kapstan.yaml) or a Kubernetes object made by hand"
        )
    if kind == "secrets":
        origin = (
            f"--from-file {key}={spec['file']}`"
            if "file" in spec
            else f"{key}` (the value of {spec.get('environment', name)})"
        )
        return FileSource(kind, name, key), (
            f"became secret config key {key}, with no default (a secret never enters the "
            f"template): set it per environment: `kapstan config set CONFIG --secret {origin}"
        )
    if "content" in spec:
        return FileSource(kind, name, key, str(spec["content"])), f"became config key {key}"
    if "file" not in spec:
        return FileSource(kind, name, key, ""), (
            f"has no file or content: config key {key} defaults to an empty text; set it"
        )
    text = _read(file, str(spec["file"]))
    if isinstance(text, InputError):
        return FileSource(kind, name, None), f"not translated: {text}"
    return FileSource(
        kind, name, key, text
    ), f"became config key {key} (the text of {spec['file']})"


def _read(compose: Path, path_text: str) -> str | InputError:
    """The text of a file beside the compose file, or the error that says why not."""
    try:
        return read_text(resolve_inside(compose.parent, compose.parent / path_text))
    except InputError as err:  # named as written, not by this machine's absolute path
        return InputError(f"file {path_text}: {str(err).rsplit(': ', 1)[-1]}")


def service_files(ctx: ComposeContext, source: str, kind: str, value: Any) -> Mounted:
    """A service's ``secrets`` or ``configs`` (short names or long entries) as mounted keys."""
    mounts: list[FileMount] = []
    lines: list[Line] = []
    for index, entry in enumerate(value if isinstance(value, list) else [value]):
        path = (kind, index)
        spec = entry if isinstance(entry, dict) else {"source": entry}
        name = str(spec.get("source", ""))
        found = ctx.sources.get((kind, name))
        if found is None:
            known = ", ".join(n for k, n in ctx.sources if k == kind) or "none"
            raise ctx.fail(
                source,
                path,
                f"{kind} names {name!r}, not declared under the top-level "
                f"{kind} (declared: {known})",
            )
        if found.key is None:
            lines.append(ctx.note(source, path, f"{kind[:-1]} {name} not translated (see above)"))
            continue
        target = _target(kind, name, spec.get("target"))
        for option in sorted(set(spec) & {"uid", "gid", "mode"}):
            why = f"{option} not translated: delivered files are read-only, mode 0644"
            lines.append(ctx.note(source, (*path, option), why))
        mounts.append(FileMount(found.key, target, kind == "secrets", found.text))
        lines.append(ctx.note(source, path, f"{found.key} delivered as file {target}"))
    return Mounted(tuple(mounts), tuple(lines))


def _target(kind: str, name: str, target: Any) -> str:
    """Compose's defaults: secrets under /run/secrets/, configs at /<name>."""
    if kind == "secrets":
        text = str(target or name)
        return text if text.startswith("/") else f"/run/secrets/{text}"
    return str(target) if target else f"/{name}"


def bind_file(
    ctx: ComposeContext,
    source: str,
    service: str,
    host: str,
    target: str,
    path: tuple[str | int, ...],
) -> Mounted | None:
    """A bind mount of one file beside the compose file as a config key; None otherwise."""
    local = ctx.file.parent / host
    try:
        inside = resolve_inside(ctx.file.parent, local)
    except InputError:
        return None
    if not inside.is_file():
        return None
    text = _read(ctx.file, host)
    if isinstance(text, InputError):
        return Mounted((), (ctx.note(source, path, f"bind mount {host} not translated: {text}"),))
    key = f"{service}.files.{key_part(Path(host).name)}"
    ctx_line = f"bind mount {host}:{target} became config key {key}, delivered as file {target}"
    return Mounted((FileMount(key, target, False, text),), (ctx.note(source, path, ctx_line),))
