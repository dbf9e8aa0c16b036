"""The store's batched reads (one page of apps, the environments using a config or allowing
a permission, some keys of many config versions): each gives what the one-by-one reads give.
"""

from __future__ import annotations

import pytest

from kapstan.errors import InputError, NotFoundError
from kapstan.model.values import SecretValue
from kapstan.store import Application, ConfigKeys, Store
from tests.store.test_store_roles import ALL, allowed


@pytest.fixture
def world(store: Store) -> Store:
    """Apps a00..a11 over environments dev/qa/prod, configs dev (2 versions), prod, shared."""
    store.save_template_version("shop", {"a.yaml": "1"}, "d1", author="ana")
    store.save_template_version("blog", {"a.yaml": "2"}, "d2", author="ana")
    store.create_config("dev", {"replicas": 1, "flag": "x"}, author="ana")
    store.add_config_version("dev", {"replicas": 2, "flag": True}, author="ana")
    store.create_config("prod", {"replicas": 3, "flag": SecretValue("s3cret")}, author="ana")
    store.create_config("shared", {"other": 1}, author="ana")
    store.create_config("unused", {"x": 1}, author="ana")
    for env, config in (("dev", "dev"), ("qa", None), ("prod", "prod"), ("empty", None)):
        store.create_environment(env, kubeconfig="/k", context=None, namespace=env, config=config)
    for i in range(12):
        env = ("dev", "qa", "prod")[i % 3]
        config = {"dev": "dev", "qa": "shared", "prod": "prod"}[env]
        store.create_application(
            f"a{i:02d}",
            template="blog" if i % 4 == 0 else "shop",
            template_version=1,
            environment=env,
            config=config,
            config_version=1 if i == 3 else None,
        )
    return store


def matches(app: Application, search: str) -> bool:
    """The API's search as it was done in memory: a substring of a name, ignoring case."""
    text = search.lower()
    return any(text in f.lower() for f in (app.name, app.template, app.environment, app.config))


@pytest.mark.parametrize(
    ("environments", "search"),
    [
        (None, None),
        (["dev", "prod"], None),
        ([], None),
        (None, "SHOP"),
        (None, "a1"),
        (["qa"], "share"),
        (None, "%"),
        (None, "_"),
        (None, "nothing"),
    ],
)
def test_a_page_of_apps_is_the_slice_of_the_filtered_list(
    world: Store, environments: list[str] | None, search: str | None
) -> None:
    everything = world.list_applications()
    wanted = [
        a
        for a in everything
        if (environments is None or a.environment in environments)
        and (not search or matches(a, search))
    ]
    for limit, offset in ((5, 0), (5, 5), (5, 10), (50, 0), (1, 11), (3, 40)):
        page, total = world.page_applications(
            limit=limit, offset=offset, environments=environments, search=search
        )
        assert page == wanted[offset : offset + limit]
        assert total == len(wanted)


def test_the_environments_using_a_config(world: Store) -> None:
    assert world.environments_using_config("dev") == ["dev"]
    assert world.environments_using_config("shared") == ["qa"]  # only through its apps
    assert world.environments_using_config("unused") == []
    world.create_application(
        "x",
        template="shop",
        template_version=1,
        environment="empty",
        config="prod",
        config_version=None,
    )
    assert world.environments_using_config("prod") == ["empty", "prod"]
    with pytest.raises(NotFoundError, match=r"^config 'ghost' not found$"):
        world.environments_using_config("ghost")


@pytest.mark.parametrize("role", ["viewer", "deployer", "admin"])
def test_environments_allowing_agree_with_check_permission(world: Store, role: str) -> None:
    world.create_user("root", password=None, admin=True)
    world.create_user("ana", password=None)
    world.create_user("off", password=None, admin=True)
    world.disable_user("off")
    world.grant_role("ana", "prod", role)
    world.grant_role("ana", "qa", "viewer")
    environments = [e.name for e in world.list_environments()]
    for user in ("root", "ana", "off"):
        # Each permission of each environment asked once (not again for every permission).
        has = {name: allowed(world, user, name) for name in environments}
        for permission in ALL:
            expected = [name for name in environments if permission in has[name]]
            assert world.environments_allowing(user, permission) == expected, (user, permission)
    with pytest.raises(NotFoundError):
        world.environments_allowing("ghost", "view")
    with pytest.raises(InputError, match="is not a permission"):
        world.environments_allowing("ana", "fly")


def test_config_keys_are_those_of_the_version_each_ref_names(world: Store) -> None:
    refs = [("dev", None), ("dev", 1), ("prod", None), ("shared", None), ("shared", 1)]
    found = world.config_keys(refs, ["flag", "absent"])
    assert found == {
        ("dev", None): ConfigKeys("dev", 2, {"flag": True}),
        ("dev", 1): ConfigKeys("dev", 1, {"flag": "x"}),
        ("prod", None): ConfigKeys("prod", 1, {"flag": SecretValue("s3cret")}),
        ("shared", None): ConfigKeys("shared", 1, {}),
        ("shared", 1): ConfigKeys("shared", 1, {}),
    }
    for (name, version), keys in found.items():
        whole = world.get_config(name, version)
        assert keys.version == whole.version
        assert dict(keys.values) == {k: v for k, v in whole.values.items() if k in ("flag",)}
    assert world.config_keys([], ["flag"]) == {}


def test_config_keys_say_what_is_missing_as_get_config_does(world: Store) -> None:
    with pytest.raises(NotFoundError, match=r"^config 'ghost' not found$"):
        world.config_keys([("dev", None), ("ghost", None)], ["flag"])
    with pytest.raises(NotFoundError, match=r"^config 'dev' has no version 7 \(latest is 2\)$"):
        world.config_keys([("dev", 7), ("prod", 1)], ["flag"])
