"""Service settings: validated from kapstan.yaml data, overridden by config keys, and turned
into objects (HPA, Service, Ingress) or changes to objects (the Recreate strategy).

Pure: data in, values and objects out. Errors name where the bad value came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kapstan.errors import InputError
from kapstan.model.rendered import KubeObject
from kapstan.model.settings import (
    EXPOSE_TYPES,
    OVERRIDE_KEYS,
    STRATEGIES,
    BlueGreen,
    Exposure,
    ServiceSettings,
)
from kapstan.model.values import SecretValue, Value
from kapstan.render.autoscaling import Locate, parse_autoscaling, raw_autoscaling, render_hpa

SETTING_FIELDS = ("strategy", "blueGreen", "autoscaling", "expose")
_SECTIONS: dict[str, tuple[str, ...]] = {
    "expose": ("type", "port", "targetPort", "host", "path"),
    "blueGreen": ("keepOldSeconds", "healthCheck"),
}


def _int(value: Any, what: str, where: str, low: int = 0, high: int = 1_000_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(f"{where}: {what} must be a whole number, not {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise InputError(f"{where}: {what} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise InputError(f"{where}: {what} must be between {low} and {high}, not {number}")
    return number


def _section(raw: Mapping[str, Any], name: str, where: str) -> dict[str, Any] | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InputError(f"{where}: {name} must be a mapping with {', '.join(_SECTIONS[name])}")
    unknown = [k for k in value if k not in _SECTIONS[name]]
    if unknown:
        raise InputError(
            f"{where}: unknown field {unknown[0]!r} in {name}; expected one of: "
            f"{', '.join(_SECTIONS[name])}"
        )
    return dict(value)


def build_settings(
    raw: Mapping[str, Any], where: str, locate: Locate | None = None
) -> ServiceSettings:
    """Settings from plain data (kapstan.yaml's service fields, merged with overrides).

    ``locate``: where a value at a path below the service was written (kapstan.yaml's line
    of that field); without it every error is placed at ``where``.
    """
    strategy = str(raw.get("strategy", "rolling"))
    if strategy not in STRATEGIES:
        raise InputError(
            f"{where}: strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}"
        )
    return ServiceSettings(
        strategy=strategy,
        blue_green=_blue_green(_section(raw, "blueGreen", where), where),
        autoscaling=parse_autoscaling(raw.get("autoscaling"), locate or (lambda _: where)),
        expose=_expose(_section(raw, "expose", where), where),
    )


def _blue_green(raw: dict[str, Any] | None, where: str) -> BlueGreen:
    if raw is None:
        return BlueGreen()
    check = raw.get("healthCheck") or {}
    if not isinstance(check, Mapping) or set(check) - {"path", "port"}:
        raise InputError(f"{where}: blueGreen.healthCheck takes path and port")
    return BlueGreen(
        keep_old_seconds=_int(
            raw.get("keepOldSeconds", 300), "blueGreen.keepOldSeconds", where, 0, 7 * 86400
        ),
        health_path=str(check["path"]) if check.get("path") else None,
        health_port=_int(check["port"], "blueGreen.healthCheck.port", where, 1, 65535)
        if check.get("port")
        else None,
    )


def _expose(raw: dict[str, Any] | None, where: str) -> Exposure | None:
    if raw is None:
        return None
    kind = str(raw.get("type", "ClusterIP"))
    if kind not in EXPOSE_TYPES:
        raise InputError(
            f"{where}: expose.type must be one of {', '.join(EXPOSE_TYPES)}, not {kind!r}"
        )
    target = raw.get("targetPort")
    return Exposure(
        type=kind,
        port=_int(raw.get("port", 80), "expose.port", where, 1, 65535),
        target_port=_int(target, "expose.targetPort", where, 1, 65535)
        if target is not None
        else None,
        host=str(raw["host"]) if raw.get("host") else None,
        path=str(raw.get("path", "/")),
    )


def _nested(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        head, _, tail = key.partition(".")
        if tail:
            out.setdefault(head, {})[tail] = value
        else:
            out[head] = value
    return out


def raw_settings(settings: ServiceSettings) -> dict[str, Any]:
    """Settings back to kapstan.yaml-shaped data (for merging overrides)."""
    raw: dict[str, Any] = {"strategy": settings.strategy}
    bg = settings.blue_green
    raw["blueGreen"] = {"keepOldSeconds": bg.keep_old_seconds}
    if bg.health_path:
        raw["blueGreen"]["healthCheck"] = {"path": bg.health_path, "port": bg.health_port}
    if settings.autoscaling:
        raw["autoscaling"] = raw_autoscaling(settings.autoscaling)
    if settings.expose:
        e = settings.expose
        raw["expose"] = {
            "type": e.type,
            "port": e.port,
            "path": e.path,
            **({"host": e.host} if e.host else {}),
            **({"targetPort": e.target_port} if e.target_port else {}),
        }
    return raw


def effective_settings(
    settings: ServiceSettings, service: str, values: Mapping[str, Value], used: dict[str, Value]
) -> ServiceSettings:
    """kapstan.yaml's settings with ``<service>.<setting>`` config keys laid over them."""
    overrides = {k: values[f"{service}.{k}"] for k in OVERRIDE_KEYS if f"{service}.{k}" in values}
    if not overrides:
        return settings
    for key, value in overrides.items():
        if isinstance(value, SecretValue):
            raise InputError(
                f"config key {service}.{key} is a secret; settings must be plain values"
            )
        used[f"{service}.{key}"] = value
    raw = raw_settings(settings)
    for section, fields in _nested(overrides).items():
        if isinstance(fields, dict):
            raw[section] = {**(raw.get(section) or {}), **fields}
        else:
            raw[section] = fields
    keys = ", ".join(f"{service}.{k}" for k in sorted(overrides))
    return build_settings(raw, f"service {service!r} settings (with config keys {keys})")


def _first_workload(objects: list[KubeObject], kinds: tuple[str, ...]) -> KubeObject | None:
    return next((o for o in objects if o.get("kind") in kinds), None)


def generate(
    service: str, settings: ServiceSettings, objects: list[KubeObject]
) -> list[KubeObject]:
    """Shape and extend the service's objects according to its settings."""
    workload = _first_workload(objects, ("Deployment", "StatefulSet"))
    if settings.strategy == "recreate":
        deployment = _first_workload(objects, ("Deployment",))
        if deployment is None:
            raise InputError(f"service {service!r}: strategy recreate needs a Deployment")
        deployment.setdefault("spec", {})["strategy"] = {"type": "Recreate"}
    if settings.strategy == "blue-green" and _first_workload(objects, ("Deployment",)) is None:
        raise InputError(
            f"service {service!r}: strategy blue-green needs a Deployment and a Service"
        )
    extra: list[KubeObject] = []
    if settings.autoscaling:
        if workload is None:
            raise InputError(
                f"service {service!r}: autoscaling needs a Deployment or StatefulSet to scale"
            )
        extra.append(render_hpa(workload, settings.autoscaling))
    if settings.expose:
        if workload is None:
            raise InputError(
                f"service {service!r}: expose needs a Deployment or StatefulSet to route to"
            )
        extra += _exposure(service, workload, settings.expose, objects)
    return [*objects, *extra]


def _container_port(workload: KubeObject) -> int | None:
    containers = (((workload.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "containers"
    ) or []
    for c in containers:
        for p in c.get("ports") or []:
            if isinstance(p.get("containerPort"), int):
                return int(p["containerPort"])
    return None


def _exposure(
    service: str, workload: KubeObject, e: Exposure, objects: list[KubeObject]
) -> list[KubeObject]:
    selector = dict(((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
    if not selector:
        raise InputError(
            f"service {service!r}: expose needs the workload's spec.selector.matchLabels"
        )
    target = e.target_port or _container_port(workload) or e.port
    name = service
    existing = next(
        (o for o in objects if o.get("kind") == "Service" and o["metadata"]["name"] == name), None
    )
    out: list[KubeObject] = []
    if existing is not None:
        existing.setdefault("spec", {})["type"] = e.type
    else:
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name},
                "spec": {
                    "type": e.type,
                    "selector": selector,
                    "ports": [{"name": "http", "port": e.port, "targetPort": target}],
                },
            }
        )
    if e.host:
        rule = {
            "host": e.host,
            "http": {
                "paths": [
                    {
                        "path": e.path,
                        "pathType": "Prefix",
                        "backend": {"service": {"name": name, "port": {"number": e.port}}},
                    }
                ]
            },
        }
        out.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": name},
                "spec": {"rules": [rule]},
            }
        )
    return out
