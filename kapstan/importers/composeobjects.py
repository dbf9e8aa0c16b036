"""The Kubernetes objects of one translated compose service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.importers.assembly import KubeObject
from kapstan.model.values import Scalar


@dataclass(frozen=True)
class Pod:
    """What a translated compose service runs: one container, its volumes, its ports."""

    name: str
    job: bool
    container: dict[str, Any]
    volumes: Sequence[dict[str, Any]]
    service_ports: Sequence[dict[str, Any]]
    pod_extra: dict[str, Any]
    claims: Sequence[KubeObject]
    replicas: int


@dataclass(frozen=True)
class Built:
    """The service's objects and the config keys they read (``<service>.replicas``)."""

    objects: list[KubeObject]
    config: dict[str, Scalar]


def build_objects(pod: Pod) -> Built:
    labels = {"app": pod.name}
    spec: dict[str, Any] = {"containers": [pod.container], **pod.pod_extra}
    if pod.volumes:
        spec["volumes"] = list(pod.volumes)
    template = {"metadata": {"labels": labels}, "spec": spec}
    config: dict[str, Scalar] = {}
    if pod.job:
        workload = _job(pod.name, template)
    else:
        key = f"{pod.name}.replicas"
        config[key] = pod.replicas
        workload = _deployment(pod.name, key, labels, template)
    objects: list[KubeObject] = [workload]
    if pod.service_ports:
        objects.append(service_object(pod.name, pod.service_ports))
    return Built([*objects, *pod.claims], config)


def service_port(target: int, protocol: str = "TCP") -> dict[str, Any]:
    """One port of a service's Service: the container's own port, named for it."""
    return {
        "name": f"{protocol.lower()}-{target}",
        "port": target,
        "targetPort": target,
        "protocol": protocol,
    }


def service_object(name: str, ports: Sequence[dict[str, Any]]) -> KubeObject:
    """The Service in front of translated service ``name`` (its pods are labelled app=name)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": list(ports)},
    }


def _deployment(
    name: str, key: str, labels: dict[str, str], template: dict[str, Any]
) -> KubeObject:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": f"${{{key}}}",
            "selector": {"matchLabels": labels},
            "template": template,
        },
    }


def _job(name: str, template: dict[str, Any]) -> KubeObject:
    template["spec"]["restartPolicy"] = "OnFailure"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"backoffLimit": 3, "template": template},
    }
