"""A change refused because the application is locked (another operation runs) did nothing:
it is no failed operation in the app's history (finding 9a of the hardening issue)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstan.actions import applications, configs, templates
from kapstan.actions.deleting import delete_app
from kapstan.actions.deploying import deploy_app
from kapstan.actions.journal import take_lock
from kapstan.actions.refs import Ref
from kapstan.errors import ConflictError
from kapstan.model.values import SecretValue, Value
from kapstan.store import Store
from tests.actions.conftest import BOOKSTORE

SERVICES = ["postgres", "catalog", "web"]


@pytest.fixture
def shop(store: Store, tmp_path: Path) -> Store:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    templates.import_template(store, BOOKSTORE, author="a")
    values: dict[str, Value] = {"web.host": "h", "db.password": SecretValue("pw")}
    configs.set_values(store, "dev", values, author="a")
    store.create_environment(
        "dev", kubeconfig=str(kubeconfig), context=None, namespace="shop", config="dev"
    )
    applications.create_app(store, "shop", template=Ref("bookstore"), environment="dev", author="a")
    return store


def hold_lock(store: Store, who: str) -> int:
    holder = store.start_operation("shop", "deploy", author=who, services=SERVICES)
    take_lock(
        store, "shop", owner=f"{who} (pid 1 on host elsewhere)", operation_id=holder.id, lease=300
    )
    return holder.id


@pytest.mark.parametrize("kind", ["deploy", "delete"])
def test_a_change_refused_because_the_app_is_locked_records_no_failed_operation(
    shop: Store, kind: str
) -> None:
    holder = hold_lock(shop, "eve")
    action = deploy_app if kind == "deploy" else delete_app
    with pytest.raises(ConflictError, match="eve"):
        action(shop, "shop", author="dana")
    assert [(o.id, o.status.value) for o in shop.list_operations("shop")] == [(holder, "running")]


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tries=st.lists(st.sampled_from(["deploy", "delete"]), min_size=1, max_size=4),
    services=st.lists(st.sampled_from(SERVICES), unique=True, max_size=3),
)
def test_refused_changes_never_leave_operations_behind(
    shop: Store, tries: list[str], services: list[str]
) -> None:
    """However many changes are refused the lock, the history holds only the one running."""
    if shop.get_lock("shop") is None:
        hold_lock(shop, "eve")
    before = [(o.id, o.status) for o in shop.list_operations("shop")]
    for kind in tries:
        with pytest.raises(ConflictError):
            if kind == "deploy":
                deploy_app(shop, "shop", author="dana", services=services)
            else:
                delete_app(shop, "shop", author="dana")
    assert [(o.id, o.status) for o in shop.list_operations("shop")] == before
