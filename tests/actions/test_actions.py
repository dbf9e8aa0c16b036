"""Actions called directly: they return values and write only when everything checks out."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.actions import apphistory, applications, appviews, configs, templates
from kapstan.actions.changes import app_changes
from kapstan.actions.environments import create_environment, environment_details
from kapstan.actions.refs import Ref
from kapstan.errors import ConflictError, InputError, NotFoundError, VariableError
from kapstan.model.values import SecretValue, Value
from kapstan.store import Store
from tests.actions.conftest import BOOKSTORE


@pytest.fixture
def shop(store: Store, tmp_path: Path) -> Store:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("clusters: []\ncontexts: []\nusers: []\n")
    templates.import_template(store, BOOKSTORE, author="a")
    values: dict[str, Value] = {"web.host": "h", "db.password": SecretValue("pw")}
    configs.set_values(store, "dev", values, author="a")
    create_environment(store, "dev", kubeconfig=kubeconfig, namespace="shop", config="dev")
    applications.create_app(store, "shop", template=Ref("bookstore"), environment="dev", author="a")
    return store


def test_import_returns_whether_a_version_was_made(store: Store) -> None:
    first = templates.import_template(store, BOOKSTORE, author="a", message="m")
    again = templates.import_template(store, BOOKSTORE, author="b")
    assert (first.created, first.version.version) == (True, 1)
    assert (again.created, again.version.version) == (False, 1)


def test_template_vars_and_details(store: Store) -> None:
    templates.import_template(store, BOOKSTORE, author="a")
    found = templates.template_vars(store, Ref("bookstore", 1))
    required = [v.key for v in found.variables if not v.has_default]
    assert required == ["db.password", "web.host"]
    assert list(templates.load_template(store, Ref("bookstore")).template.services) == [
        "postgres",
        "catalog",
        "web",
    ]


def test_config_writes(store: Store) -> None:
    assert configs.set_values(store, "c", {"a": 1}, author="x").created
    assert not configs.set_values(store, "c", {"a": 1}, author="x").created
    assert configs.unset_keys(store, "c", ["a"], author="x").version.values == {}
    with pytest.raises(InputError, match="has no key 'zz'"):
        configs.unset_keys(store, "c", ["zz"], author="x")
    back = configs.rollback_config(store, "c", 1, author="x")
    assert (back.version.version, dict(back.version.values)) == (3, {"a": 1})
    assert not configs.rollback_config(store, "c", 1, author="x").created
    history = configs.config_history(store, "c")
    assert [len(h.changes.removed) for h in history] == [0, 1, 0]
    assert configs.diff_config_versions(store, "c", 1, 2).removed[0].key == "a"


def test_create_app_pins_versions_and_checks_first(shop: Store) -> None:
    app = shop.get_application("shop")
    assert (app.template_version, app.config, app.config_version) == (1, "dev", 1)
    with pytest.raises(ConflictError):
        applications.create_app(
            shop, "shop", template=Ref("bookstore"), environment="dev", author="a"
        )
    with pytest.raises(NotFoundError):
        applications.create_app(
            shop, "x", template=Ref("bookstore", 4), environment="dev", author="a"
        )
    configs.set_values(shop, "thin", {"catalog.replicas": 1}, author="a")
    with pytest.raises(VariableError, match=r"db\.password, web\.host"):
        applications.create_app(
            shop, "x", template=Ref("bookstore"), environment="dev", config=Ref("thin"), author="a"
        )
    assert [a.name for a in shop.list_applications()] == ["shop"]


def test_changes_and_update(shop: Store) -> None:
    configs.set_values(shop, "dev", {"postgres.version": 17}, author="a")
    found = app_changes(shop, "shop")
    assert (found.from_config, found.to_config) == (1, 2)
    assert [(c.service, c.keys) for c in found.changes] == [("postgres", ("postgres.version",))]
    assert app_changes(shop, "shop", config_version=1).changes == ()
    updated = applications.update_app(shop, "shop")
    assert updated.application.config_version == 2
    assert app_changes(shop, "shop").changes == ()


def test_views(shop: Store) -> None:
    summaries = appviews.app_services(shop, "shop")
    assert summaries[0].kinds == ("Secret", "StatefulSet", "Service")
    graph = appviews.app_graph(shop, "shop")
    assert graph.name == "shop" and graph.depends_on["web"] == ("catalog",)
    _, rendered = appviews.render_app_for(shop, "shop", ["web"])
    assert [s.name for s in rendered] == ["web"]
    with pytest.raises(InputError, match="no service 'api'"):
        appviews.render_app_for(shop, "shop", ["api"])
    assert apphistory.app_history(shop, "shop") == []
    assert apphistory.app_history(shop, "shop", "web") == []
    details = environment_details(shop, "dev")
    assert [a.name for a in details.applications] == ["shop"] and details.config is not None
