"""Which applications are the instances of one application (no cluster needed): the
family of its template, and its promotion line (``kapstan.actions.instances``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.actions.instances import families, family, lineage_root
from kapstan.store import Store
from tests.sqlitestores import migrated_sqlite

ENVS = ("dev", "staging", "prod", "prod-eu")


@pytest.mark.parametrize(
    ("name", "root"),
    [
        ("shop", "shop"),
        ("shop-staging", "shop"),
        ("shop-staging-prod", "shop"),
        ("shop-prod-eu", "shop"),  # the longest environment name is cut, not "-eu" alone
        ("shop-eu", "shop-eu"),  # no environment is called "eu"
        ("prod", "prod"),  # a name that is all suffix stays itself
        ("dev-dev", "dev"),
    ],
)
def test_lineage_root_cuts_environment_suffixes(name: str, root: str) -> None:
    assert lineage_root(name, ENVS) == root


def test_the_family_is_the_template_s_applications_by_environment_and_lineage_narrows_it(
    tmp_path: Path,
) -> None:
    store = Store.open(f"sqlite:///{migrated_sqlite(tmp_path / 'k.db')}", environ={})
    for env in ("prod", "dev", "staging"):  # created in this order: the view's order
        store.create_config(env, {}, author="t")
        store.create_environment(
            env, kubeconfig="/nowhere", context=None, namespace=env, config=env
        )
    for template in ("shop", "mail"):
        store.save_template_version(template, {"kapstan.yaml": "x"}, template, author="t")
    apps = [
        ("shop", "shop", "dev"),
        ("shop-staging", "shop", "staging"),
        ("shop-prod", "shop", "prod"),
        ("shop-copy", "shop", "dev"),  # same template, own name: family, not lineage
        ("mail-prod", "mail", "prod"),  # another template: neither
    ]
    for name, template, env in apps:
        store.create_application(
            name,
            template=template,
            template_version=1,
            environment=env,
            config=env,
            config_version=None,
        )
    names = [a.name for a in family(store, "shop-staging")]
    assert names == ["shop-prod", "shop", "shop-copy", "shop-staging"]
    assert [a.name for a in family(store, "shop-staging", lineage=True)] == [
        "shop-prod",
        "shop",
        "shop-staging",
    ]
    shown = family(store, "shop", environments={"staging", "prod"})  # what a viewer may see
    assert [a.name for a in shown] == ["shop-prod", "shop-staging"]
    assert {t: [a.name for a in f] for t, f in families(store, {"prod"}).items()} == {
        "mail": ["mail-prod"],
        "shop": ["shop-prod"],
    }
    store.close()
