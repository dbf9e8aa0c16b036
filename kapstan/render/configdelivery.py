"""Delivering config keys to a service as environment variables and files.

For the keys a service declares under ``env``/``files``:

- plain values go to ConfigMap ``<app>-<service>-config``, secrets to Secret
  ``<app>-<service>-secret`` (``stringData``; the one place ``reveal()`` is called);
  data keys are the config keys themselves, so env and files never collide;
- every container (and init container) of every pod template gets
  ``env[].valueFrom.{configMapKeyRef,secretKeyRef}`` (a variable the manifest already
  sets keeps the manifest's value) and, when there are files, a read-only projected
  volume ``kapstan-config`` mounted at ``filesPath`` with one item per file;
- each pod template gets annotation ``kapstan.io/config-checksum``: HMAC-SHA256 of exactly
  those keys' values, so pods roll when, and only when, their keys change. With a secret
  among them it is keyed by ``hash_key`` (derived from the store's secret key; refused
  without one), so the annotation, visible to anyone who can read the Deployment, cannot
  be used to check guesses of the secret; with plain values only (visible anyway in the
  ConfigMap) the key is not used, so those checksums do not change when the key rotates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.errors import SecretKeyError
from kapstan.model.rendered import KubeObject
from kapstan.model.template import TEMPLATE_FILE, ServiceSpec
from kapstan.model.values import SecretValue, Value
from kapstan.render.hashing import KEY_NEEDED, canonical_json, keyed_digest
from kapstan.render.substitute import Problems, as_text

CHECKSUM_ANNOTATION = "kapstan.io/config-checksum"
VOLUME_NAME = "kapstan-config"
POD_TEMPLATE_PATHS: Mapping[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Pod": (),
}


@dataclass(frozen=True)
class Delivery:
    """The generated objects and the wiring to add to pod templates."""

    objects: tuple[KubeObject, ...]
    env: tuple[dict[str, Any], ...]
    volume: dict[str, Any] | None
    mount: dict[str, Any] | None
    checksum: str


def plan_delivery(
    spec: ServiceSpec,
    values: Mapping[str, Value],
    *,
    app: str,
    namespace: str,
    problems: Problems,
    used: dict[str, Value],
    hash_key: bytes | None,
) -> Delivery | None:
    """What to generate for ``spec``'s env/files keys; None when it declares none."""
    keys = spec.delivered_keys
    if not keys:
        return None
    config_name, secret_name = f"{app}-{spec.name}-config", f"{app}-{spec.name}-secret"
    plain: dict[str, str] = {}
    secret: dict[str, str] = {}
    for key in keys:
        if key not in values:
            line = min(
                [b.line for b in spec.env if b.key == key]
                + [b.line for b in spec.files if b.key == key]
            )
            problems.undefined.append((key, TEMPLATE_FILE, line, spec.name))
            continue
        value = used[key] = values[key]
        if isinstance(value, SecretValue):
            secret[key] = value.reveal()
        else:
            plain[key] = as_text(value)
    ref = {
        k: ("secretKeyRef", secret_name) if k in secret else ("configMapKeyRef", config_name)
        for k in keys
    }
    env = tuple(
        {"name": b.name, "valueFrom": {ref[b.key][0]: {"name": ref[b.key][1], "key": b.key}}}
        for b in spec.env
        if b.key in values
    )
    volume = _volume(spec, ref, plain, secret)
    mount = (
        {"name": VOLUME_NAME, "mountPath": spec.files_path, "readOnly": True} if volume else None
    )
    objects = _objects(config_name, secret_name, namespace, plain, secret)
    if secret and not hash_key:
        raise SecretKeyError(
            f"service {spec.name!r} delivers secret key(s) {', '.join(sorted(secret))}: "
            f"their checksum needs a key; {KEY_NEEDED}"
        )
    checksum = keyed_digest(canonical_json([plain, secret]), (hash_key or b"") if secret else b"")
    return Delivery(objects, env, volume, mount, checksum)


def _objects(
    config_name: str,
    secret_name: str,
    namespace: str,
    plain: dict[str, str],
    secret: dict[str, str],
) -> tuple[KubeObject, ...]:
    out: list[KubeObject] = []
    if plain:
        meta = {"name": config_name, "namespace": namespace}
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": plain})
    if secret:
        meta = {"name": secret_name, "namespace": namespace}
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": meta,
                "type": "Opaque",
                "stringData": secret,
            }
        )
    return tuple(out)


def _volume(
    spec: ServiceSpec,
    ref: Mapping[str, tuple[str, str]],
    plain: Mapping[str, str],
    secret: Mapping[str, str],
) -> dict[str, Any] | None:
    sources: dict[str, dict[str, Any]] = {}
    for binding in spec.files:
        if binding.key not in plain and binding.key not in secret:
            continue
        kind = "secret" if binding.key in secret else "configMap"
        source = sources.setdefault(kind, {"name": ref[binding.key][1], "items": []})
        source["items"].append({"key": binding.key, "path": binding.name})
    if not sources:
        return None
    ordered = [{kind: sources[kind]} for kind in ("configMap", "secret") if kind in sources]
    return {"name": VOLUME_NAME, "projected": {"sources": ordered}}


def pod_templates(obj: KubeObject) -> Iterator[dict[str, Any]]:
    """The pod template(s) of a workload object (the object itself for a Pod)."""
    path = POD_TEMPLATE_PATHS.get(str(obj.get("kind")))
    if path is None:
        return
    target: Any = obj
    for item in path:
        target = target.get(item) if isinstance(target, dict) else None
    if isinstance(target, dict) and isinstance(target.get("spec"), dict):
        yield target


def wire(obj: KubeObject, delivery: Delivery) -> None:
    """Add env, volume, mounts and the checksum annotation to ``obj``'s pod templates."""
    for template in pod_templates(obj):
        meta = template.setdefault("metadata", {})
        meta.setdefault("annotations", {})[CHECKSUM_ANNOTATION] = delivery.checksum
        pod = template["spec"]
        if delivery.volume:
            _append_named(pod.setdefault("volumes", []), delivery.volume)
        for group in ("initContainers", "containers"):
            for container in pod.get(group) or []:
                env = container.setdefault("env", [])
                for entry in delivery.env:
                    _append_named(env, entry)
                if delivery.mount:
                    _append_named(container.setdefault("volumeMounts", []), delivery.mount)


def _append_named(items: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    """Append ``entry`` unless an item of that name exists (the manifest wins)."""
    if all(item.get("name") != entry["name"] for item in items):
        items.append(dict(entry))
