"""Compose ``healthcheck`` as a readinessProbe, and ``deploy`` as replicas and resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapstan.importers import composefields as fields
from kapstan.importers.composecontext import ComposeContext, Line

_PROBE_FIELDS = {
    "interval": "periodSeconds",
    "timeout": "timeoutSeconds",
    "start_period": "initialDelaySeconds",
}


@dataclass(frozen=True)
class Probe:
    """A readinessProbe from a healthcheck (None: disabled or no test), and report lines."""

    probe: dict[str, Any] | None
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Deploy:
    """``deploy`` of one service: replicas (None: not set), resources, report lines.

    ``resources``: (``limits`` or ``requests``, ``cpu`` or ``memory``, the quantity).
    """

    replicas: int | None
    resources: tuple[tuple[str, str, str], ...]
    lines: tuple[Line, ...]


def readiness_probe(ctx: ComposeContext, source: str, value: Any) -> Probe:
    """An exec readinessProbe from a healthcheck; None when disabled or without a test."""
    if not isinstance(value, dict):
        raise ctx.fail(source, ("healthcheck",), "healthcheck must be a mapping")
    if value.get("disable") or "test" not in value:
        return Probe(None)
    try:
        command = fields.probe_command(value["test"])
    except fields.FieldError as err:
        raise ctx.fail(source, ("healthcheck", "test"), str(err)) from None
    if command is None:
        return Probe(None)
    probe: dict[str, Any] = {"exec": {"command": command}}
    for key, target in _PROBE_FIELDS.items():
        if key in value:
            try:
                probe[target] = fields.seconds(value[key])
            except fields.FieldError as err:
                raise ctx.fail(source, ("healthcheck", key), str(err)) from None
    if "retries" in value:
        probe["failureThreshold"] = int(value["retries"])
    lines: list[Line] = []
    if "start_period" in value:
        why = (
            "start_period became initialDelaySeconds: Kubernetes does not probe before it "
            "(compose probes but ignores failures)"
        )
        lines.append(ctx.note(source, ("healthcheck", "start_period"), why))
    for key in sorted(set(value) - {*_PROBE_FIELDS, "test", "retries", "disable"}):
        lines.append(ctx.note(source, ("healthcheck", key), "not translated"))
    return Probe(probe, tuple(lines))


def quantity(
    ctx: ComposeContext, source: str, name: str, value: Any, path: tuple[str | int, ...]
) -> str:
    """``value`` as a Kubernetes quantity of ``cpu`` or ``memory``; the error names ``path``."""
    convert = fields.cpu if name == "cpu" else fields.memory
    try:
        return convert(value)
    except fields.FieldError as err:
        raise ctx.fail(source, path, str(err)) from None


def deploy(ctx: ComposeContext, source: str, value: Any) -> Deploy:
    """``deploy.replicas`` and ``deploy.resources``; the rest of ``deploy`` is reported."""
    if not isinstance(value, dict):
        raise ctx.fail(source, ("deploy",), "deploy must be a mapping")
    replicas: int | None = None
    resources: list[tuple[str, str, str]] = []
    lines: list[Line] = []
    for key, item in value.items():
        if key == "replicas":
            replicas = _replicas(ctx, source, item)
        elif key == "resources" and isinstance(item, dict):
            _resources(ctx, source, item, resources, lines)
        else:
            hint = " (a DaemonSet would run one pod per node)" if key == "mode" else ""
            lines.append(ctx.note(source, ("deploy", key), f"not translated{hint}"))
    return Deploy(replicas, tuple(resources), tuple(lines))


def _replicas(ctx: ComposeContext, source: str, value: Any) -> int:
    try:
        replicas = int(value)
    except (TypeError, ValueError):
        raise ctx.fail(source, ("deploy", "replicas"), f"{value!r} is not a number") from None
    if replicas < 0:
        raise ctx.fail(source, ("deploy", "replicas"), "replicas cannot be negative")
    return replicas


def _resources(
    ctx: ComposeContext,
    source: str,
    value: dict[str, Any],
    resources: list[tuple[str, str, str]],
    lines: list[Line],
) -> None:
    for section, target in (("limits", "limits"), ("reservations", "requests")):
        spec = value.get(section) or {}
        for key, item in spec.items() if isinstance(spec, dict) else ():
            path = ("deploy", "resources", section, key)
            if key in ("cpus", "memory"):
                name = "cpu" if key == "cpus" else "memory"
                resources.append((target, name, quantity(ctx, source, name, item, path)))
            else:
                lines.append(ctx.note(source, path, "not translated"))
    for key in sorted(set(value) - {"limits", "reservations"}):
        lines.append(ctx.note(source, ("deploy", "resources", key), "not translated"))
