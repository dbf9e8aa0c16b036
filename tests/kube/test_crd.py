"""Custom resources: a CRD applied like any object, then its kind found through discovery."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kapstan.errors import ClusterInvalidError
from kapstan.kube import KubeClient, resource_key
from tests.kube.conftest import wait_for

GROUP = f"t{uuid.uuid4().hex[:8]}.kapstan.test"


def _crd() -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"size": {"type": "integer", "minimum": 1}},
            }
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


def _established(kube: KubeClient) -> bool:
    crd = kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"widgets.{GROUP}")
    conditions = ((crd or {}).get("status") or {}).get("conditions") or []
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)


@pytest.fixture(scope="module")
def widgets(kube: KubeClient) -> Iterator[str]:
    kube.apply(_crd())
    try:
        wait_for("the CRD to be Established", lambda: _established(kube))
        yield f"{GROUP}/v1"
    finally:
        kube.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"widgets.{GROUP}")


def _widget(namespace: str, name: str, size: int) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": "w"}},
        "spec": {"size": size},
    }


def test_a_custom_object_is_applied_through_discovery(
    kube: KubeClient, namespace: str, widgets: str
) -> None:
    kind = kube.kind(widgets, "Widget")
    assert (kind.plural, kind.namespaced) == ("widgets", True)

    created = kube.apply(_widget(namespace, "w1", 3))
    assert created["spec"] == {"size": 3}

    live = kube.get(widgets, "Widget", "w1", namespace)
    assert live is not None and resource_key(live) == (GROUP, "Widget", namespace, "w1")
    listed = kube.list(widgets, "Widget", namespace, labels={"app": "w"})
    assert [o["metadata"]["name"] for o in listed] == ["w1"]
    assert kube.delete(widgets, "Widget", "w1", namespace) is True


def test_the_crd_schema_is_enforced_with_the_field_named(
    kube: KubeClient, namespace: str, widgets: str
) -> None:
    with pytest.raises(ClusterInvalidError) as info:
        kube.apply(_widget(namespace, "tiny", 0))
    assert str(info.value).startswith(f"Widget {namespace}/tiny is invalid: spec.size:")
