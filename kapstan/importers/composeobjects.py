"""The Kubernetes objects of one translated compose service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kapstan.importers.assembly import KubeObject

if TYPE_CHECKING:
    from kapstan.importers.composeservice import ServiceTranslator


def build_objects(t: ServiceTranslator) -> list[KubeObject]:
    labels = {"app": t.name}
    pod: dict[str, Any] = {"containers": [t.container], **t.pod_extra}
    if t.volumes:
        pod["volumes"] = t.volumes
    template = {"metadata": {"labels": labels}, "spec": pod}
    objects: list[KubeObject] = [
        _job(t, template) if t.source in t.ctx.jobs else _deployment(t, labels, template)
    ]
    if t.service_ports:
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": t.name},
                "spec": {"selector": labels, "ports": t.service_ports},
            }
        )
    return [*objects, *t.claims]


def _deployment(
    t: ServiceTranslator, labels: dict[str, str], template: dict[str, Any]
) -> KubeObject:
    key = f"{t.name}.replicas"
    t.ctx.config[key] = t.replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": t.name},
        "spec": {
            "replicas": f"${{{key}}}",
            "selector": {"matchLabels": labels},
            "template": template,
        },
    }


def _job(t: ServiceTranslator, template: dict[str, Any]) -> KubeObject:
    template["spec"]["restartPolicy"] = "OnFailure"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": t.name},
        "spec": {"backoffLimit": 3, "template": template},
    }
