"""Environments: create, read, and clone (environment and config in one transaction)."""

from __future__ import annotations

import pytest

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.model.values import SecretValue
from kapstan.store import Store
from tests.store.conftest import OpenStore


def make_dev(store: Store) -> None:
    store.create_config("dev", {"replicas": 1}, author="ana")
    store.add_config_version("dev", {"replicas": 2, "db": SecretValue("pw")}, author="ana")
    store.create_environment(
        "dev",
        kubeconfig="/home/ana/.kube/config",
        context="kind-dev",
        namespace="shop",
        config="dev",
    )


def test_create_get_list(store: Store) -> None:
    make_dev(store)
    bare = store.create_environment(
        "bare", kubeconfig="/k", context=None, namespace="default", config=None
    )
    dev = store.get_environment("dev")
    assert (dev.kubeconfig, dev.context, dev.namespace, dev.config) == (
        "/home/ana/.kube/config",
        "kind-dev",
        "shop",
        "dev",
    )
    assert bare.config is None
    assert store.list_environments() == [bare, dev]


def test_create_checks_names_and_references(store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"^config 'ghost' not found$"):
        store.create_environment(
            "dev", kubeconfig="/k", context=None, namespace="a", config="ghost"
        )
    with pytest.raises(InputError, match="namespace name 'Bad_NS'"):
        store.create_environment(
            "dev", kubeconfig="/k", context=None, namespace="Bad_NS", config=None
        )
    make_dev(store)
    with pytest.raises(ConflictError, match="environment 'dev' exists already"):
        store.create_environment("dev", kubeconfig="/k", context=None, namespace="a", config=None)
    with pytest.raises(NotFoundError, match=r"^environment 'nope' not found$"):
        store.get_environment("nope")


def test_clone_copies_environment_and_latest_config(store: Store) -> None:
    make_dev(store)
    prod = store.clone_environment("dev", "prod", author="bob")
    assert prod == store.get_environment("prod")
    assert (prod.kubeconfig, prod.context, prod.namespace, prod.config) == (
        "/home/ana/.kube/config",
        "kind-dev",
        "shop",
        "prod",
    )
    copied = store.get_config("prod")
    assert (copied.version, copied.author, copied.message) == (1, "bob", "cloned from dev@2")
    assert copied.values == store.get_config("dev").values
    # the copy is its own config: changing it leaves the source alone
    store.add_config_version("prod", {"replicas": 5}, author="bob")
    assert store.get_config("dev").values["replicas"] == 2


def test_clone_needs_no_key_for_secrets(store: Store, open_store: OpenStore) -> None:
    make_dev(store)
    keyless = open_store({})
    keyless.clone_environment("dev", "prod", author="bob")
    assert store.get_config("prod").values["db"] == SecretValue("pw")


def test_clone_without_config_makes_no_config(store: Store) -> None:
    store.create_environment("bare", kubeconfig="/k", context=None, namespace="a", config=None)
    assert store.clone_environment("bare", "bare2", author="bob").config is None
    assert store.list_configs() == []


def test_clone_is_all_or_nothing(store: Store) -> None:
    make_dev(store)
    store.create_config("prod", {"taken": True}, author="eve")
    with pytest.raises(ConflictError, match="config 'prod' exists already"):
        store.clone_environment("dev", "prod", author="bob")
    with pytest.raises(NotFoundError):
        store.get_environment("prod")
    assert [e.name for e in store.list_environments()] == ["dev"]
    assert [c.version for c in store.config_history("prod")] == [1]


def test_clone_errors_name_what_is_wrong(store: Store) -> None:
    make_dev(store)
    with pytest.raises(NotFoundError, match=r"^environment 'nope' not found$"):
        store.clone_environment("nope", "prod", author="bob")
    with pytest.raises(ConflictError, match="environment 'dev' exists already"):
        store.clone_environment("dev", "dev", author="bob")
    with pytest.raises(InputError, match="environment name 'Prod'"):
        store.clone_environment("dev", "Prod", author="bob")
