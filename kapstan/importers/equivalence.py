"""Comparing what a source renders to with what its imported template renders to. Pure.

Two object lists are equivalent when they are equal after normalization, which removes
what does not change what runs:

- the order of objects, of mapping keys, and of list items that have a name (containers,
  env, ports, volumes, mounts: keyed by ``name``, ``mountPath`` or port);
- fields a live cluster adds (``status``, ``uid``, ``resourceVersion``, a Service's
  ``clusterIP``, controllers' annotations...) and values the API server fills in when they
  are left out (``replicas: 1``, ``protocol: TCP``, ``type: ClusterIP``,
  ``imagePullPolicy`` for the image's tag...), and empty values;
- Kapstan's own labels and annotations (``kapstan.io/*``, ``managed-by: kapstan``), at
  every level (pod templates included);
- the namespace: ``metadata.namespace`` is dropped, and a namespace given for a side is
  written ``<namespace>`` inside values (``db.<namespace>.svc``), so two renders for
  different namespaces compare equal;
- a Secret's ``stringData`` is read as its base64 ``data``;
- Kapstan's config delivery (``inline_delivery``): env read from a ConfigMap or Secret the
  render generated is read as the literal value it holds; a secret's value matches any.

What remains is listed, one ``Difference`` per object only on one side or per field
that differs. Values of Secrets, and of env variables whose name says they hold a secret,
are never shown, only that they differ.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.importers.manifestload import LAST_APPLIED, SERVER_FIELDS
from kapstan.importers.names import split_image
from kapstan.render.configdelivery import POD_TEMPLATE_PATHS, pod_templates

Obj = dict[str, Any]
NAMESPACE_TOKEN = "<namespace>"
REDACTED = "<redacted>"
# Stands for a value a secret config key delivers: set per environment, so it is compared
# for where it goes, never for what it is, and never shown.
FROM_SECRET = "<from a secret config key>"
_SHOWN = 100  # characters of a value shown in a difference

# Annotations written by kubectl and controllers, not by the manifest's author.
_WRITTEN_BY_OTHERS = (
    LAST_APPLIED,
    "deployment.kubernetes.io/revision",
)
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL", re.I)
_ROLLING = "RollingUpdate"
# Values the API server fills in when a manifest leaves them out, per kind (top of spec).
_SPEC_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "Deployment": {
        "replicas": 1,
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
        "strategy": {
            "type": _ROLLING,
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
        },
    },
    "StatefulSet": {
        "replicas": 1,
        "revisionHistoryLimit": 10,
        "podManagementPolicy": "OrderedReady",
        "updateStrategy": {"type": _ROLLING, "rollingUpdate": {"partition": 0}},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
    },
    "DaemonSet": {
        "revisionHistoryLimit": 10,
        "updateStrategy": {"type": _ROLLING, "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
    },
    "Job": {"backoffLimit": 6, "completionMode": "NonIndexed", "suspend": False},
    "CronJob": {
        "concurrencyPolicy": "Allow",
        "suspend": False,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
    },
    "Service": {
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "ipFamilyPolicy": "SingleStack",
    },
    "PersistentVolumeClaim": {"volumeMode": "Filesystem"},
}
_POD_DEFAULTS: Mapping[str, Any] = {
    "restartPolicy": "Always",
    "dnsPolicy": "ClusterFirst",
    "schedulerName": "default-scheduler",
    "terminationGracePeriodSeconds": 30,
    "enableServiceLinks": True,
}
_CONTAINER_DEFAULTS: Mapping[str, Any] = {
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
}


@dataclass(frozen=True)
class Difference:
    """``ref`` (``Kind/name``) differs at ``path`` (empty: the object is on one side only)."""

    ref: str
    path: str = ""
    source: str = ""
    template: str = ""

    def __str__(self) -> str:
        if not self.path:
            side = "the source" if self.source else "the template"
            return f"{self.ref}: only in {side}"
        return f"{self.ref}: {self.path}: source {self.source}, template {self.template}"


def normalize(obj: Mapping[str, Any], *, namespace: str = "") -> Obj:
    """``obj`` without what does not change what runs (see the module docstring)."""
    out: Obj = _copied(obj)
    out.pop("status", None)
    kind = str(out.get("kind", ""))
    _scrub_metadata(out)
    if kind == "Secret":
        _secret_data(out)
    _drop_defaults(out, kind)
    if namespace:
        out = _namespace_token(out, namespace)
    pruned = _prune(_keyed(out))
    return pruned if isinstance(pruned, dict) else {}


def differences(
    source: Iterable[Mapping[str, Any]],
    template: Iterable[Mapping[str, Any]],
    *,
    source_namespace: str = "",
    template_namespace: str = "",
) -> list[Difference]:
    """What still differs between the two lists after normalization, in a stable order."""
    left = _indexed(source, source_namespace)
    right = _indexed(template, template_namespace)
    out: list[Difference] = []
    for ref in sorted(left.keys() | right.keys()):
        if ref not in right:
            out.append(Difference(ref, source="present"))
        elif ref not in left:
            out.append(Difference(ref, template="present"))
        else:
            secret = ref.startswith("Secret/")
            out += [
                Difference(ref, path, *_shown(path, a, b, secret))
                for path, a, b in _diff(left[ref], right[ref], ())
            ]
    return out


def inline_delivery(objects: Iterable[Mapping[str, Any]], generated: Collection[str]) -> list[Obj]:
    """``objects`` with Kapstan's config delivery undone, as the source would write it.

    ``generated``: ``Kind/name`` of the ConfigMaps and Secrets the render generated for
    services' ``env:`` keys. They are left out, and each env variable read from one gets
    the value it holds (``FROM_SECRET`` for a Secret's) as a literal ``value``; a projected
    volume made only of them is left out too (the files' mounts stay).
    """
    held: dict[str, Mapping[str, Any]] = {}
    out: list[Obj] = []
    for obj in objects:
        ref = ref_of(obj)
        if ref not in generated:
            out.append(_copied(obj))
        elif obj.get("kind") == "Secret":
            keys = {**(obj.get("data") or {}), **(obj.get("stringData") or {})}
            held[ref] = dict.fromkeys(keys, FROM_SECRET)
        else:
            held[ref] = obj.get("data") or {}
    for obj in out:
        for pod in pod_templates(obj):
            volumes = pod["spec"].get("volumes")
            if isinstance(volumes, list):
                pod["spec"]["volumes"] = [v for v in volumes if not _delivers(v, held)]
            for key in ("initContainers", "containers"):
                for container in pod["spec"].get(key) or []:
                    if isinstance(container, dict) and container.get("env"):
                        container["env"] = [_inlined(e, held) for e in container["env"]]
    return out


def _delivers(volume: Any, held: Mapping[str, Mapping[str, Any]]) -> bool:
    """Kapstan's projected volume of ``files:`` keys (its mounts are still compared)."""
    sources = ((volume or {}).get("projected") or {}).get("sources") or []
    refs = [
        f"{kind}/{(source.get(field) or {}).get('name')}"
        for source in sources
        for field, kind in (("configMap", "ConfigMap"), ("secret", "Secret"))
        if field in source
    ]
    return bool(refs) and all(ref in held for ref in refs)


def _inlined(env: Any, held: Mapping[str, Mapping[str, Any]]) -> Any:
    source = (env.get("valueFrom") or {}) if isinstance(env, dict) else {}
    for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
        ref = source.get(field) or {}
        data = held.get(f"{kind}/{ref.get('name')}")
        if data is not None and ref.get("key") in data:
            return {"name": env.get("name"), "value": data[ref["key"]]}
    return env


def ref_of(obj: Mapping[str, Any]) -> str:
    """``Kind/name`` of ``obj``."""
    return f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '?')}"


def _copied(value: Any) -> Any:
    """A copy of mappings and lists (scalars are shared): deepcopy's memo costs 2x here."""
    if isinstance(value, Mapping):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value


def _indexed(objects: Iterable[Mapping[str, Any]], namespace: str) -> dict[str, Obj]:
    return {ref_of(o): normalize(o, namespace=namespace) for o in objects}


def _scrub_metadata(value: Any) -> None:
    """Drop server fields and Kapstan's labels/annotations from every ``metadata``."""
    if isinstance(value, list):
        for item in value:
            _scrub_metadata(item)
        return
    if not isinstance(value, dict):
        return
    meta = value.get("metadata")
    if isinstance(meta, dict):
        meta.pop("namespace", None)
        for field in SERVER_FIELDS:
            meta.pop(field, None)
        for section in ("labels", "annotations"):
            entries = meta.get(section)
            if isinstance(entries, dict):
                meta[section] = {
                    k: v for k, v in entries.items() if not _ignored(str(k), v, section)
                }
    for key, item in value.items():
        if key != "metadata":
            _scrub_metadata(item)


def _ignored(key: str, value: Any, section: str) -> bool:
    if key.startswith("kapstan.io/") or key in _WRITTEN_BY_OTHERS:
        return True
    return section == "labels" and key == "app.kubernetes.io/managed-by" and value == "kapstan"


def _secret_data(obj: Obj) -> None:
    data = dict(obj.get("data") or {})
    for key, text in (obj.pop("stringData", None) or {}).items():
        data[key] = base64.b64encode(str(text).encode()).decode()
    if data:
        obj["data"] = data
    if obj.get("type") == "Opaque":
        del obj["type"]


def _drop_defaults(obj: Obj, kind: str) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _drop_equal(spec, _SPEC_DEFAULTS.get(kind, {}))
    if kind == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec")
        if isinstance(job, dict):
            _drop_equal(job, _SPEC_DEFAULTS["Job"])
    if kind == "Service":
        _drop_allocated(spec)
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                _drop_port_defaults(port, "port")
    path = POD_TEMPLATE_PATHS.get(kind)
    pod: Any = obj
    for step in path if path is not None else ("-",):
        pod = pod.get(step) if isinstance(pod, dict) else None
    pod_spec = pod.get("spec") if isinstance(pod, dict) else None
    if isinstance(pod_spec, dict):
        _drop_pod_defaults(pod_spec)


def _drop_allocated(spec: Obj) -> None:
    """Addresses the API server gives a Service (``None``, a headless Service, is kept)."""
    if spec.get("clusterIP") != "None":
        spec.pop("clusterIP", None)
    if spec.get("clusterIPs") != ["None"]:
        spec.pop("clusterIPs", None)
    if spec.get("ipFamilies") == ["IPv4"]:
        del spec["ipFamilies"]


def _drop_pod_defaults(spec: Obj) -> None:
    _drop_equal(spec, _POD_DEFAULTS)
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            if not isinstance(container, dict):
                continue
            _drop_equal(container, _CONTAINER_DEFAULTS)
            image = container.get("image")
            if isinstance(image, str) and container.get("imagePullPolicy") == _pull_policy(image):
                del container["imagePullPolicy"]
            for port in container.get("ports") or []:
                if isinstance(port, dict):
                    _drop_port_defaults(port, "containerPort")


def _pull_policy(image: str) -> str:
    """What the API server sets when ``imagePullPolicy`` is left out."""
    _, tag = split_image(image)
    return "Always" if tag == "latest" else "IfNotPresent"


def _drop_port_defaults(port: Obj, number: str) -> None:
    if port.get("protocol") == "TCP":
        del port["protocol"]
    if number == "port" and "targetPort" in port and port["targetPort"] == port.get("port"):
        del port["targetPort"]


def _drop_equal(section: Obj, defaults: Mapping[str, Any]) -> None:
    for key, default in defaults.items():
        if key in section and section[key] == default:
            del section[key]


def _namespace_token(value: Any, namespace: str) -> Any:
    if isinstance(value, str):
        if value == namespace:
            return NAMESPACE_TOKEN
        return re.sub(rf"(?<=\.){re.escape(namespace)}(?=\.svc\b)", NAMESPACE_TOKEN, value)
    if isinstance(value, list):
        return [_namespace_token(v, namespace) for v in value]
    if isinstance(value, dict):
        return {k: _namespace_token(v, namespace) for k, v in value.items()}
    return value


def _keyed(value: Any) -> Any:
    """Lists become mappings ``[key] -> item``: by name where items have one, else position."""
    if isinstance(value, dict):
        return {k: _keyed(v) for k, v in value.items()}
    if not isinstance(value, list):
        return value
    keys = _item_keys(value)
    return {f"[{k}]": _keyed(v) for k, v in zip(keys, value, strict=True)}


def _item_keys(items: list[Any]) -> list[str]:
    for field in ("name", "mountPath", "containerPort", "port"):
        keys = [str(i.get(field)) if isinstance(i, dict) and field in i else None for i in items]
        if None not in keys and len(set(keys)) == len(keys):
            return [k for k in keys if k is not None]
    return [str(i) for i in range(len(items))]


def _prune(value: Any) -> Any:
    """Without empty mappings and lists and nulls (the server reads them as absent)."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [])}
    return value


def _diff(a: Any, b: Any, path: tuple[str, ...]) -> list[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(a.keys() | b.keys()):
            out += _diff(a.get(key), b.get(key), (*path, key))
        return out
    if (a == b and _category(a) == _category(b)) or (FROM_SECRET in (a, b) and None not in (a, b)):
        return []
    return [(_dotted(path), a, b)]


def _category(value: Any) -> str:
    """JSON's type of ``value``: ``8080`` and ``"8080"`` differ, ``1`` and ``True`` too."""
    for kind in (bool, str, int, float):
        if isinstance(value, kind):
            return kind.__name__
    return type(value).__name__


def _dotted(path: Sequence[str]) -> str:
    text = ""
    for part in path:
        text += part if part.startswith("[") or not text else f".{part}"
    return text


def _shown(path: str, a: Any, b: Any, secret: bool) -> tuple[str, str]:
    hidden = (secret and path.startswith("data")) or _secret_env(path)
    return _show(a, hidden), _show(b, hidden)


def _secret_env(path: str) -> bool:
    names = re.findall(r"\.env\[([^\]]+)\]", path)
    return any(_SECRET_NAME.search(name) for name in names)


def _show(value: Any, hidden: bool) -> str:
    if value is None:
        return "(absent)"
    if hidden:
        return REDACTED
    text = json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 3]}..."


def _plain(value: Any) -> Any:
    """Keyed mappings back to lists for display, secret-named env values redacted."""
    if isinstance(value, dict):
        if value and all(str(k).startswith("[") for k in value):
            return [_plain(v) for v in value.values()]
        if "value" in value and _SECRET_NAME.search(str(value.get("name", ""))):
            return {**value, "value": REDACTED}
        return {k: _plain(v) for k, v in value.items()}
    return value
