"""CustomResourceDefinitions for the kwok kinds the sandbox changes while it runs.

kwok reads its configuration file once; kinds named in ``--enable-crds`` it watches in the
cluster instead. The sandbox enables two: ``Logs`` (one per pod that a test gave log lines,
pointing at that pod's files) and ``ClusterResourceUsage`` (the simulated CPU and memory a
test set). Their schemas are left open: kwok validates what it reads, and these CRDs exist
only so the apiserver stores the objects.
"""

from __future__ import annotations

from typing import Any

GROUP = "kwok.x-k8s.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

# kind -> (plural, scope)
KINDS: dict[str, tuple[str, str]] = {
    "Logs": ("logs", "Namespaced"),
    "ClusterResourceUsage": ("clusterresourceusages", "Cluster"),
}


def enabled_kinds() -> str:
    """The value of kwok's ``--enable-crds``."""
    return ",".join(KINDS)


def definitions() -> list[dict[str, Any]]:
    """One CRD per kind in ``KINDS``, open schema, with a status subresource as kwok expects."""
    return [_definition(kind, plural, scope) for kind, (plural, scope) in KINDS.items()]


def _definition(kind: str, plural: str, scope: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": scope,
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural},
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


def path(kind: str, name: str, namespace: str | None = None) -> str:
    """The API path of one object of ``kind``."""
    plural, scope = KINDS[kind]
    ns = f"/namespaces/{namespace}" if scope == "Namespaced" else ""
    return f"/apis/{API_VERSION}{ns}/{plural}/{name}"
