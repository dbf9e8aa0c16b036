"""Resource identity (group, kind, namespace, name), scope, and duplicate detection."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

from kapstan.errors import TemplateError
from kapstan.model.rendered import KubeObject
from kapstan.model.template import Template

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "CSIDriver",
        "CSINode",
        "VolumeAttachment",
        "APIService",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "CertificateSigningRequest",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "ClusterIssuer",
    }
)


class ResourceKey(NamedTuple):
    """What makes two objects the same resource: the API group, kind, namespace, name."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{kind} {where}{self.name}"


def group_of(api_version: str) -> str:
    """``apps/v1`` -> ``apps``; ``v1`` -> ``""`` (the core group)."""
    return api_version.rpartition("/")[0]


def is_namespaced(kind: str) -> bool:
    return kind not in CLUSTER_SCOPED_KINDS


def key_of(obj: KubeObject) -> ResourceKey:
    meta = obj.get("metadata") or {}
    return ResourceKey(
        group_of(str(obj.get("apiVersion", ""))),
        str(obj.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )


def check_duplicates(owned: Iterable[tuple[str, str, ResourceKey]]) -> None:
    """Refuse a resource declared twice; ``owned`` yields (service, where, key)."""
    seen: dict[ResourceKey, tuple[str, str]] = {}
    for service, where, key in owned:
        if key in seen:
            first_service, first_where = seen[key]
            raise TemplateError(
                f"{key} is declared twice: in service {first_service!r} ({first_where})"
                f" and in service {service!r} ({where}); a resource belongs to one service"
            )
        seen[key] = (service, where)


def check_static_duplicates(template: Template) -> None:
    """Duplicates among documents whose name and namespace are written literally."""

    def owned() -> Iterable[tuple[str, str, ResourceKey]]:
        for spec in template.services.values():
            for doc in spec.documents:
                if any(
                    site.path in (("metadata", "name"), ("metadata", "namespace"))
                    for site in doc.slots
                ):
                    continue
                meta = json.loads(doc.skeleton)["metadata"]
                key = ResourceKey(
                    group_of(doc.api_version),
                    doc.kind,
                    str(meta.get("namespace") or ""),
                    str(meta["name"]),
                )
                yield spec.name, doc.where, key

    check_duplicates(owned())
