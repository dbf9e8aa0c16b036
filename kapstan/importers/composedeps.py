"""``depends_on`` (list and map forms) and ``links`` as dependsOn and calls.

Kapstan's dependsOn waits until the other service is *ready*; the report says where that
differs from the compose condition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kapstan.importers.composecontext import ComposeContext
    from kapstan.importers.composeservice import ServiceTranslator

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


def relations(t: ServiceTranslator) -> None:
    for other, options in depends_on(t.ctx, t.source, t.spec.get("depends_on")).items():
        target = t.ctx.names[other]
        t.out.depend(target)
        path = ("depends_on", other) if isinstance(t.spec["depends_on"], dict) else ("depends_on",)
        condition = options.get("condition", "service_started")
        if condition != "service_completed_successfully":
            t.out.call(target)
        if condition == "service_started":
            t.add(
                path,
                f"{other}: service_started became dependsOn, which waits until {target} is ready (stricter)",
            )
        elif condition == "service_completed_successfully":
            t.add(
                path,
                f"{other}: service_completed_successfully: {target} became a Job and dependsOn waits until it completes",
            )
        for key in sorted(set(options) - {"condition"}):
            t.add(
                (*path, key),
                "not translated: dependsOn is always required and never restarts dependents",
            )
    for index, link in enumerate(t.spec.get("links") or []):
        other = str(link).split(":")[0]
        if other in t.ctx.names:
            t.out.call(t.ctx.names[other])
            if ":" in str(link):
                t.add(
                    ("links", index),
                    f"link alias {link} not translated: use the Service name {t.ctx.names[other]}",
                )
