"""Identifying labels and annotations, and the namespace default.

Rendered content carries only what is stable for equal input: labels
``app.kubernetes.io/managed-by: kapstan``, ``kapstan.io/app``, ``kapstan.io/service`` (also
on pod templates, for log and pod lookup per app/service) and annotation
``kapstan.io/template`` (the template *name*). Version numbers and revision numbers are
NOT rendered: they would change every service's hash on every new template or config
version even when its content is equal. The apply step adds them after hashing with
``stamp_objects`` (top-level metadata only, so pods do not roll).
"""

from __future__ import annotations

from typing import Any

from kapstan.model.rendered import KubeObject
from kapstan.render.configdelivery import pod_templates
from kapstan.render.resources import is_namespaced

MANAGED_BY = "app.kubernetes.io/managed-by"
APP_LABEL = "kapstan.io/app"
SERVICE_LABEL = "kapstan.io/service"
TEMPLATE_ANNOTATION = "kapstan.io/template"
TEMPLATE_VERSION_ANNOTATION = "kapstan.io/template-version"
CONFIG_VERSION_ANNOTATION = "kapstan.io/config-version"
REVISION_ANNOTATION = "kapstan.io/revision"
HASH_ANNOTATION = "kapstan.io/content-hash"
# Names the environment an object was applied for, so an ownership refusal can say
# "owned by application X (environment Y)". Stamped, never hashed: content stays equal.
ENVIRONMENT_ANNOTATION = "kapstan.io/environment"


def label(obj: KubeObject, *, app: str, service: str, template: str, namespace: str) -> None:
    """Add identity labels/annotation and default the namespace of a namespaced object."""
    meta = obj.setdefault("metadata", {})
    if is_namespaced(str(obj.get("kind"))) and not meta.get("namespace"):
        meta["namespace"] = namespace
    labels = _section(meta, "labels")
    labels[MANAGED_BY] = "kapstan"
    labels[APP_LABEL] = app
    labels[SERVICE_LABEL] = service
    _section(meta, "annotations")[TEMPLATE_ANNOTATION] = template
    for pod in pod_templates(obj):
        if pod is obj:
            continue
        pod_labels = _section(pod.setdefault("metadata", {}), "labels")
        pod_labels[APP_LABEL] = app
        pod_labels[SERVICE_LABEL] = service


def _section(meta: dict[str, Any], name: str) -> dict[str, Any]:
    section = meta.get(name)
    if not isinstance(section, dict):
        section = meta[name] = {}
    return section


def stamp_objects(
    objects: list[KubeObject],
    *,
    template_version: int,
    config_version: int,
    revision: int,
    content_hash: str,
    environment: str = "",
) -> list[KubeObject]:
    """Copies of ``objects`` annotated with versions and revision, for apply (after hashing)."""
    stamps = {
        TEMPLATE_VERSION_ANNOTATION: str(template_version),
        CONFIG_VERSION_ANNOTATION: str(config_version),
        REVISION_ANNOTATION: str(revision),
        HASH_ANNOTATION: content_hash,
    }
    if environment:
        stamps[ENVIRONMENT_ANNOTATION] = environment
    out = []
    for obj in objects:
        meta = dict(obj.get("metadata") or {})
        meta["annotations"] = {**(meta.get("annotations") or {}), **stamps}
        out.append({**obj, "metadata": meta})
    return out
