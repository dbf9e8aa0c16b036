"""Compose ``healthcheck`` as a readinessProbe, and ``deploy`` as replicas and resources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kapstan.importers import composefields as fields

if TYPE_CHECKING:
    from kapstan.importers.composeservice import ServiceTranslator

_PROBE_FIELDS = {
    "interval": "periodSeconds",
    "timeout": "timeoutSeconds",
    "start_period": "initialDelaySeconds",
}


def readiness_probe(t: ServiceTranslator, value: Any) -> dict[str, Any] | None:
    """An exec readinessProbe from a healthcheck; None when disabled or without a test."""
    if not isinstance(value, dict):
        raise t.ctx.fail(t.source, ("healthcheck",), "healthcheck must be a mapping")
    if value.get("disable") or "test" not in value:
        return None
    try:
        command = fields.probe_command(value["test"])
    except fields.FieldError as err:
        raise t.ctx.fail(t.source, ("healthcheck", "test"), str(err)) from None
    if command is None:
        return None
    probe: dict[str, Any] = {"exec": {"command": command}}
    for key, target in _PROBE_FIELDS.items():
        if key in value:
            try:
                probe[target] = fields.seconds(value[key])
            except fields.FieldError as err:
                raise t.ctx.fail(t.source, ("healthcheck", key), str(err)) from None
    if "retries" in value:
        probe["failureThreshold"] = int(value["retries"])
    if "start_period" in value:
        t.add(
            ("healthcheck", "start_period"),
            "start_period became initialDelaySeconds: Kubernetes does not probe before it "
            "(compose probes but ignores failures)",
        )
    for key in sorted(set(value) - {*_PROBE_FIELDS, "test", "retries", "disable"}):
        t.add(("healthcheck", key), "not translated")
    return probe


def deploy(t: ServiceTranslator, value: Any) -> None:
    """``deploy.replicas`` and ``deploy.resources``; the rest of ``deploy`` is reported."""
    if not isinstance(value, dict):
        raise t.ctx.fail(t.source, ("deploy",), "deploy must be a mapping")
    for key, item in value.items():
        if key == "replicas":
            t.replicas = _replicas(t, item)
        elif key == "resources" and isinstance(item, dict):
            _resources(t, item)
        else:
            hint = " (a DaemonSet would run one pod per node)" if key == "mode" else ""
            t.add(("deploy", key), f"not translated{hint}")


def _replicas(t: ServiceTranslator, value: Any) -> int:
    try:
        replicas = int(value)
    except (TypeError, ValueError):
        raise t.ctx.fail(t.source, ("deploy", "replicas"), f"{value!r} is not a number") from None
    if replicas < 0:
        raise t.ctx.fail(t.source, ("deploy", "replicas"), "replicas cannot be negative")
    return replicas


def _resources(t: ServiceTranslator, value: dict[str, Any]) -> None:
    for section, target in (("limits", "limits"), ("reservations", "requests")):
        spec = value.get(section) or {}
        for key, item in spec.items() if isinstance(spec, dict) else ():
            path = ("deploy", "resources", section, key)
            if key == "cpus":
                t.set_resource(target, "cpu", item, path)
            elif key == "memory":
                t.set_resource(target, "memory", item, path)
            else:
                t.add(path, "not translated")
    for key in sorted(set(value) - {"limits", "reservations"}):
        t.add(("deploy", "resources", key), "not translated")
