"""The pure tenancy check: which rendered objects fall outside an environment's boundary."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.errors import InputError
from kapstan.kube.config import impersonation_headers
from kapstan.model.rendered import RenderedService
from kapstan.plan import tenancy
from kapstan.plan.tenancy import Boundary

SHOP = Boundary("dev", "shop")


def obj(kind: str, name: str, namespace: str | None = None, api: str = "v1") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def service(*objects: dict[str, Any], origins: tuple[str, ...] = ()) -> RenderedService:
    return RenderedService("api", tuple(objects), "h", {}, {}, origins=origins)


# A custom kind the static list does not know: the cluster's answer decides.
def cluster_scopes(api_version: str, kind: str) -> bool:
    return kind not in {"Widget"} and tenancy.static_namespaced(api_version, kind)


CASES = [
    # (object, boundary, expected violation reason or None)
    (obj("Deployment", "api", "shop", "apps/v1"), SHOP, None),
    (obj("Deployment", "api", None, "apps/v1"), SHOP, None),
    (obj("Deployment", "api", "teamb", "apps/v1"), SHOP, "namespace"),
    (obj("Deployment", "api", "teamb", "apps/v1"), Boundary("dev", "shop", ("teamb",)), None),
    (obj("Service", "api", "kube-system"), SHOP, "namespace"),
    (
        obj("ClusterRoleBinding", "grab", None, "rbac.authorization.k8s.io/v1"),
        SHOP,
        "cluster-scoped",
    ),
    (
        obj("ClusterRoleBinding", "grab", None, "rbac.authorization.k8s.io/v1"),
        Boundary("dev", "shop", (), ("ClusterRoleBinding",)),
        None,
    ),
    (
        obj("ClusterRoleBinding", "grab", None, "rbac.authorization.k8s.io/v1"),
        Boundary("dev", "shop", (), ("rbac.authorization.k8s.io/ClusterRoleBinding",)),
        None,
    ),
    (
        obj("ClusterRoleBinding", "grab", None, "rbac.authorization.k8s.io/v1"),
        Boundary("dev", "shop", (), ("other.io/ClusterRoleBinding",)),
        "cluster-scoped",
    ),
    (
        obj("ClusterRole", "grab", None, "rbac.authorization.k8s.io/v1"),
        Boundary("dev", "shop", (), ("ClusterRoleBinding",)),
        "cluster-scoped",
    ),
    (obj("Namespace", "shop"), SHOP, "cluster-scoped"),
    (obj("Namespace", "shop"), Boundary("dev", "shop", (), ("core/Namespace",)), None),
    (obj("PersistentVolume", "pv1"), SHOP, "cluster-scoped"),
    (obj("StorageClass", "fast", None, "storage.k8s.io/v1"), SHOP, "cluster-scoped"),
    (
        obj("CustomResourceDefinition", "w.example.io", None, "apiextensions.k8s.io/v1"),
        SHOP,
        "cluster-scoped",
    ),
    (
        obj("ValidatingWebhookConfiguration", "v", None, "admissionregistration.k8s.io/v1"),
        SHOP,
        "cluster-scoped",
    ),
    (obj("PriorityClass", "high", None, "scheduling.k8s.io/v1"), SHOP, "cluster-scoped"),
    # Rendering gives a custom kind the environment's namespace; the cluster says it is global.
    (obj("Widget", "w", "shop", "example.io/v1"), SHOP, "cluster-scoped"),
    (obj("Gadget", "g", "shop", "example.io/v1"), SHOP, None),
    (obj("Gadget", "g", "elsewhere", "example.io/v1"), SHOP, "namespace"),
]


@pytest.mark.parametrize(("manifest", "boundary", "reason"), CASES)
def test_each_object_is_judged(
    manifest: dict[str, Any], boundary: Boundary, reason: str | None
) -> None:
    found = tenancy.violations([service(manifest)], boundary, cluster_scopes)
    assert [v.reason for v in found] == ([reason] if reason else [])


def test_every_offending_object_is_named_with_its_file_line_and_the_fix() -> None:
    svc = service(
        obj("ConfigMap", "ok"),
        obj("Deployment", "api", "teamb", "apps/v1"),
        obj("ClusterRoleBinding", "grab", None, "rbac.authorization.k8s.io/v1"),
        origins=("generated for api", "services/api.yaml:1", "services/api.yaml:20"),
    )
    found = tenancy.violations([svc], SHOP, tenancy.static_namespaced)
    assert tenancy.refusal(found, SHOP, "shop") == (
        "environment dev's boundary refuses 2 object(s) of application shop; nothing was "
        "applied:\n"
        '  - service api (services/api.yaml:1): Deployment teamb/api is in namespace "teamb", '
        'outside environment dev\'s namespace "shop"; an environment admin can allow it with '
        "kapstan env set dev --allow-namespace teamb\n"
        "  - service api (services/api.yaml:20): ClusterRoleBinding grab is cluster-scoped, and "
        "environment dev does not allow the cluster-scoped kind "
        "rbac.authorization.k8s.io/ClusterRoleBinding; an environment admin can allow it with "
        "kapstan env set dev --allow-kind rbac.authorization.k8s.io/ClusterRoleBinding"
    )


def test_without_origins_the_service_alone_is_named() -> None:
    found = tenancy.violations([service(obj("Secret", "s", "x"))], SHOP, tenancy.static_namespaced)
    assert found[0].describe(SHOP).startswith("service api: Secret x/s is in namespace")


@pytest.mark.parametrize(
    ("entry", "ok"),
    [
        ("ClusterRole", True),
        ("rbac.authorization.k8s.io/ClusterRole", True),
        ("core/Namespace", True),
        ("clusterrole", False),
        ("rbac/", False),
        ("a b", False),
        ("", False),
    ],
)
def test_kind_entries_are_checked(entry: str, ok: bool) -> None:
    if ok:
        assert tenancy.check_kind_entry(entry) == entry
    else:
        with pytest.raises(InputError, match="is not valid"):
            tenancy.check_kind_entry(entry)


@pytest.mark.parametrize(
    ("identity", "ok"),
    [
        ("alice", True),
        ("system:serviceaccount:shop:deployer", True),
        ("system:serviceaccount:shop", False),
        ("system:serviceaccount:Shop:x", False),
        ("al ice", False),
        ("", False),
    ],
)
def test_identities_are_checked(identity: str, ok: bool) -> None:
    if ok:
        assert tenancy.check_identity(identity) == identity
    else:
        with pytest.raises(InputError, match="not valid"):
            tenancy.check_identity(identity)


def test_a_service_account_is_impersonated_with_its_groups() -> None:
    assert impersonation_headers(None) == []
    assert impersonation_headers("alice") == [("Impersonate-User", "alice")]
    assert impersonation_headers("system:serviceaccount:shop:deployer") == [
        ("Impersonate-User", "system:serviceaccount:shop:deployer"),
        ("Impersonate-Group", "system:serviceaccounts"),
        ("Impersonate-Group", "system:serviceaccounts:shop"),
        ("Impersonate-Group", "system:authenticated"),
    ]
