"""Server-side apply, get, delete and list on the real sandbox apiserver."""

from __future__ import annotations

import pytest

from kapstan.errors import ClusterInvalidError, ClusterNotFoundError, ClusterUnknownKindError
from kapstan.kube import KubeClient, resource_key
from tests.kube.conftest import config_map, deployment


def test_apply_creates_then_updates(kube: KubeClient, namespace: str) -> None:
    created = kube.apply(config_map("settings", namespace, {"color": "blue"}))
    assert created["data"] == {"color": "blue"}
    assert created["metadata"]["namespace"] == namespace

    updated = kube.apply(config_map("settings", namespace, {"color": "green", "size": "L"}))
    assert updated["data"] == {"color": "green", "size": "L"}
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    managers = {m["manager"] for m in updated["metadata"]["managedFields"]}
    assert managers == {"kapstan"}


def test_a_dry_run_shows_defaults_and_changes_nothing(kube: KubeClient, namespace: str) -> None:
    preview = kube.apply(deployment("preview", namespace), dry_run=True)
    assert preview["spec"]["strategy"]["type"] == "RollingUpdate"  # defaulted by the server
    assert preview["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert kube.get("apps/v1", "Deployment", "preview", namespace) is None

    kube.apply(config_map("dry", namespace, {"v": "1"}))
    kube.apply(config_map("dry", namespace, {"v": "2"}), dry_run=True)
    live = kube.get("v1", "ConfigMap", "dry", namespace)
    assert live is not None and live["data"] == {"v": "1"}


def test_apply_ignores_a_stale_resource_version(kube: KubeClient, namespace: str) -> None:
    first = kube.apply(config_map("stale", namespace, {"v": "1"}))
    kube.apply(config_map("stale", namespace, {"v": "2"}))
    again = config_map("stale", namespace, {"v": "3"})
    again["metadata"]["resourceVersion"] = first["metadata"]["resourceVersion"]
    again["metadata"]["managedFields"] = first["metadata"]["managedFields"]

    result = kube.apply(again)

    assert result["data"] == {"v": "3"}
    assert result["metadata"]["resourceVersion"] != first["metadata"]["resourceVersion"]


def test_an_invalid_object_names_itself_and_the_field(kube: KubeClient, namespace: str) -> None:
    bad = deployment("broken", namespace)
    bad["spec"]["replicas"] = -1
    with pytest.raises(ClusterInvalidError) as info:
        kube.apply(bad)
    message = str(info.value)
    assert message.startswith(f"Deployment {namespace}/broken is invalid: spec.replicas:")
    assert "must be greater than or equal to 0" in message


def test_apply_into_a_missing_namespace_says_so(kube: KubeClient) -> None:
    with pytest.raises(
        ClusterNotFoundError, match='ConfigMap no-such-ns/x: namespaces "no-such-ns"'
    ):
        kube.apply(config_map("x", "no-such-ns", {}))


def test_an_unknown_kind_is_named(kube: KubeClient, namespace: str) -> None:
    with pytest.raises(ClusterUnknownKindError, match=r"no kind Gadget in example\.com/v1"):
        kube.get("example.com/v1", "Gadget", "g", namespace)


def test_get_a_missing_object_is_none(kube: KubeClient, namespace: str) -> None:
    assert kube.get("v1", "ConfigMap", "never-created", namespace) is None


def test_delete_reports_whether_there_was_something(kube: KubeClient, namespace: str) -> None:
    kube.apply(config_map("doomed", namespace, {}))
    assert kube.delete("v1", "ConfigMap", "doomed", namespace) is True
    assert kube.get("v1", "ConfigMap", "doomed", namespace) is None
    assert kube.delete("v1", "ConfigMap", "doomed", namespace) is False


def test_list_by_labels(kube: KubeClient, namespace: str) -> None:
    kube.apply(config_map("mine-a", namespace, {}, team="shop", tier="web"))
    kube.apply(config_map("mine-b", namespace, {}, team="shop", tier="db"))
    kube.apply(config_map("theirs", namespace, {}, team="billing"))

    shop = kube.list("v1", "ConfigMap", namespace, labels={"team": "shop"})
    web = kube.list("v1", "ConfigMap", namespace, labels={"team": "shop", "tier": "web"})
    everywhere = kube.list("v1", "ConfigMap", None, labels={"team": "shop"})

    assert sorted(o["metadata"]["name"] for o in shop) == ["mine-a", "mine-b"]
    assert [o["metadata"]["name"] for o in web] == ["mine-a"]
    assert {o["metadata"]["name"] for o in everywhere} >= {"mine-a", "mine-b"}
    assert all(o["kind"] == "ConfigMap" and o["apiVersion"] == "v1" for o in shop)


def test_list_managed_spans_kinds_and_skips_unserved_ones(kube: KubeClient, namespace: str) -> None:
    kube.apply(config_map("inv-config", namespace, {}, app="inv"))
    kube.apply(deployment("inv-web", namespace, app="inv"))
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "inv-svc", "namespace": namespace, "labels": {"app": "inv"}},
            "spec": {"selector": {"app": "inv"}, "ports": [{"port": 80}]},
        }
    )
    kinds = [("v1", "ConfigMap"), ("apps/v1", "Deployment"), ("v1", "Service"), ("x.io/v1", "Gone")]

    found = kube.list_managed(namespace, {"app": "inv"}, kinds)

    assert sorted(resource_key(o) for o in found) == [
        ("", "ConfigMap", namespace, "inv-config"),
        ("", "Service", namespace, "inv-svc"),
        ("apps", "Deployment", namespace, "inv-web"),
    ]


def test_ensure_namespace_is_idempotent(kube: KubeClient, namespace: str) -> None:
    kube.ensure_namespace(namespace)
    live = kube.get("v1", "Namespace", namespace)
    assert live is not None and live["status"]["phase"] == "Active"
    assert resource_key(live) == ("", "Namespace", "", namespace)
