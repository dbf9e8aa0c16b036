"""``depends_on`` (list and map forms) and ``links`` as dependsOn and calls.

Kapstan's dependsOn waits until the other service is *ready*; the report says where that
differs from the compose condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapstan.importers.composecontext import ComposeContext, Line

CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")


def depends_on(ctx: ComposeContext, source: str, value: Any) -> dict[str, dict[str, Any]]:
    """``{other: options}`` from either form; unknown services and conditions are errors."""
    if value is None:
        return {}
    if isinstance(value, list):
        entries: dict[str, dict[str, Any]] = {str(v): {} for v in value}
        paths: dict[str, tuple[str | int, ...]] = {
            str(v): ("depends_on", i) for i, v in enumerate(value)
        }
    elif isinstance(value, dict):
        entries = {str(k): (v if isinstance(v, dict) else {}) for k, v in value.items()}
        paths = {str(k): ("depends_on", str(k)) for k in value}
    else:
        raise ctx.fail(source, ("depends_on",), "depends_on must be a list or a mapping")
    entries = {k: v for k, v in entries.items() if k not in ctx.skipped}  # see relations
    for other, options in entries.items():
        if other not in ctx.names:
            raise ctx.fail(
                source,
                paths[other],
                f"depends_on names unknown service {other!r}; known: {', '.join(ctx.names)}",
            )
        condition = options.get("condition", "service_started")
        if condition not in CONDITIONS:
            raise ctx.fail(
                source,
                (*paths[other], "condition"),
                f"unknown condition {condition!r}; expected one of {', '.join(CONDITIONS)}",
            )
    return entries


@dataclass(frozen=True)
class Relations:
    """What ``depends_on`` and ``links`` of one service make: Kapstan names, report lines."""

    depends: tuple[str, ...]
    calls: tuple[str, ...]
    lines: tuple[Line, ...]


def relations(ctx: ComposeContext, source: str, spec: dict[str, Any]) -> Relations:
    """dependsOn and calls of compose service ``source`` (its ``spec``), and why each."""
    depends: list[str] = []
    calls: list[str] = []
    lines: list[Line] = []
    for other, options in depends_on(ctx, source, spec.get("depends_on")).items():
        target = ctx.names[other]
        depends.append(target)
        path = ("depends_on", other) if isinstance(spec["depends_on"], dict) else ("depends_on",)
        condition = options.get("condition", "service_started")
        if condition != "service_completed_successfully":
            calls.append(target)
        if condition == "service_started":
            why = f"{other}: service_started became dependsOn, which waits until {target} is ready (stricter)"
            lines.append(ctx.note(source, path, why))
        elif condition == "service_completed_successfully":
            why = f"{other}: service_completed_successfully: {target} became a Job and dependsOn waits until it completes"
            lines.append(ctx.note(source, path, why))
        for key in sorted(set(options) - {"condition"}):
            why = "not translated: dependsOn is always required and never restarts dependents"
            lines.append(ctx.note(source, (*path, key), why))
    value = spec.get("depends_on")
    for other in value if isinstance(value, list | dict) else ():
        if str(other) in ctx.skipped:
            profiles = ", ".join(ctx.skipped[str(other)])
            why = (
                f"{other} is under profile {profiles}, not chosen: this dependency is left "
                f"out (import with --profile {ctx.skipped[str(other)][0]} to include {other})"
            )
            lines.append(ctx.note(source, ("depends_on",), why))
    for index, link in enumerate(spec.get("links") or []):
        other = str(link).split(":")[0]
        if other in ctx.names:
            calls.append(ctx.names[other])
            if ":" in str(link):
                why = f"link alias {link} not translated: use the Service name {ctx.names[other]}"
                lines.append(ctx.note(source, ("links", index), why))
    return Relations(tuple(depends), tuple(calls), tuple(lines))
