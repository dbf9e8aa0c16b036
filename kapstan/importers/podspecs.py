"""Reading pod templates of workloads: labels, containers and the objects they reference."""

from __future__ import annotations

from typing import Any

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def pod_template(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    template = spec.get("template")
    return template if isinstance(template, dict) else {}


def pod_labels(obj: dict[str, Any]) -> dict[str, Any]:
    return dict((pod_template(obj).get("metadata") or {}).get("labels") or {})


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_template(obj).get("spec") or {}
    return [
        c
        for key in ("initContainers", "containers")
        for c in spec.get(key) or []
        if isinstance(c, dict)
    ]


def references(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, name) of ConfigMaps, Secrets, PVCs and the ServiceAccount the pods use."""
    spec = pod_template(obj).get("spec") or {}
    found: list[tuple[str, str]] = []

    def add(kind: str, name: Any) -> None:
        if isinstance(name, str) and name and (kind, name) not in found:
            found.append((kind, name))

    for c in containers(obj):
        for source in c.get("envFrom") or []:
            add("ConfigMap", (source.get("configMapRef") or {}).get("name"))
            add("Secret", (source.get("secretRef") or {}).get("name"))
        for env in c.get("env") or []:
            value_from = env.get("valueFrom") or {}
            add("ConfigMap", (value_from.get("configMapKeyRef") or {}).get("name"))
            add("Secret", (value_from.get("secretKeyRef") or {}).get("name"))
    for volume in spec.get("volumes") or []:
        add("ConfigMap", (volume.get("configMap") or {}).get("name"))
        add("Secret", (volume.get("secret") or {}).get("secretName"))
        add("PersistentVolumeClaim", (volume.get("persistentVolumeClaim") or {}).get("claimName"))
        for source in (volume.get("projected") or {}).get("sources") or []:
            add("ConfigMap", (source.get("configMap") or {}).get("name"))
            add("Secret", (source.get("secret") or {}).get("name"))
    for pull in spec.get("imagePullSecrets") or []:
        add("Secret", pull.get("name"))
    add("ServiceAccount", spec.get("serviceAccountName"))
    return found


def env_values(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(NAME, value) of literal env values of every container."""
    return [
        (str(e.get("name")), e["value"])
        for c in containers(obj)
        for e in c.get("env") or []
        if isinstance(e.get("value"), str)
    ]


def selects(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """A non-empty equality selector that ``labels`` satisfy."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def command_values(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, value) of each word of every container's ``command`` and ``args``.

    The name is what says whether a bare word is an address: the flag itself for
    ``--cache-server=redis`` and for the word after ``--cache-server``, else the field.
    """
    out: list[tuple[str, str]] = []
    for c in containers(obj):
        for field in ("command", "args"):
            words = [w for w in c.get(field) or [] if isinstance(w, str)]
            flag = ""
            for word in words:
                name, eq, _ = word.partition("=")
                if word.startswith("-") and eq:
                    out.append((name, word))
                elif word.startswith("-"):
                    flag = word
                    continue
                else:
                    out.append((flag or field, word))
                flag = ""
    return out
