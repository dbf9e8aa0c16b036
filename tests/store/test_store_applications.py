"""Applications: references checked on create and update; latest-following configs."""

from __future__ import annotations

import pytest

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.store import Application, Store


@pytest.fixture
def world(store: Store) -> Store:
    store.save_template_version("shop", {"a.yaml": "1"}, "d1", author="ana")
    store.save_template_version("shop", {"a.yaml": "2"}, "d2", author="ana")
    store.create_config("dev", {"replicas": 1}, author="ana")
    store.add_config_version("dev", {"replicas": 2}, author="ana")
    store.create_config("prod", {"replicas": 3}, author="ana")
    store.create_environment("dev", kubeconfig="/k", context=None, namespace="a", config="dev")
    store.create_environment("prod", kubeconfig="/k", context=None, namespace="b", config="prod")
    return store


def create(store: Store, name: str = "web", /, **changes: object) -> Application:
    fields: dict[str, object] = {
        "template": "shop",
        "template_version": 1,
        "environment": "dev",
        "config": "dev",
        "config_version": None,
    }
    fields.update(changes)
    return store.create_application(name, **fields)  # type: ignore[arg-type]


def test_create_get_list(world: Store) -> None:
    web = create(world)
    pinned = create(world, "api", config_version=1, template_version=2)
    assert world.get_application("web") == web
    assert world.list_applications() == [pinned, web]
    got = world.get_application("api")
    assert (got.template, got.template_version, got.environment, got.config) == (
        "shop",
        2,
        "dev",
        "dev",
    )
    assert (got.config_version, world.get_application("web").config_version) == (1, None)
    assert got.created_at == got.updated_at


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"template": "ghost"}, "^template 'ghost' not found$"),
        ({"template_version": 9}, r"^template 'shop' has no version 9 \(latest is 2\)$"),
        ({"environment": "ghost"}, "^environment 'ghost' not found$"),
        ({"config": "ghost"}, "^config 'ghost' not found$"),
        ({"config_version": 9}, r"^config 'dev' has no version 9 \(latest is 2\)$"),
    ],
)
def test_create_names_the_missing_reference(
    world: Store, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(NotFoundError, match=message):
        create(world, **changes)
    assert world.list_applications() == []


def test_create_twice_and_bad_names(world: Store) -> None:
    create(world)
    with pytest.raises(ConflictError, match="application 'web' exists already"):
        create(world)
    with pytest.raises(InputError, match="application name 'We b'"):
        create(world, "We b")


def test_update_changes_only_what_is_given(world: Store) -> None:
    before = create(world)
    after = world.update_application("web", template_version=2, config_version=1)
    assert (after.template_version, after.config_version) == (2, 1)
    assert (after.environment, after.config) == ("dev", "dev")
    assert after.created_at == before.created_at
    assert after.updated_at > after.created_at
    moved = world.update_application("web", environment="prod", config="prod")
    assert (moved.environment, moved.config, moved.config_version) == ("prod", "prod", 1)
    assert world.update_application("web", config_version=None).config_version is None
    assert world.get_application("web") == world.list_applications()[0]


def test_update_checks_the_result_and_writes_nothing_when_wrong(world: Store) -> None:
    create(world, config_version=2)
    with pytest.raises(NotFoundError, match=r"config 'prod' has no version 2 \(latest is 1\)"):
        world.update_application("web", config="prod")
    with pytest.raises(NotFoundError, match=r"^application 'nope' not found$"):
        world.update_application("nope", config="prod")
    assert world.get_application("web").config == "dev"
