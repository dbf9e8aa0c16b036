"""Install: template version, config from defaults with generated secrets, the application."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.actions.install import install
from kapstan.errors import ConflictError, InputError, NotFoundError, VariableError
from kapstan.market import catalog as market
from kapstan.market.registry import MarketPaths
from kapstan.model.values import SecretValue
from kapstan.store import Store
from tests.market.conftest import write_catalog


@pytest.fixture
def env(store: Store, tmp_path: Path) -> str:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    store.create_environment(
        "dev", kubeconfig=str(kubeconfig), context=None, namespace="dev", config=None
    )
    return "dev"


def test_install_saves_the_template_a_config_with_generated_secrets_and_the_app(
    store: Store, env: str, market_paths: MarketPaths
) -> None:
    result = install(store, "postgresql", env=env, author="alice")
    assert result.template_created and result.config_created
    assert (result.template.name, result.template.version) == ("postgresql", 1)
    assert result.generated == ("postgresql.password",)
    app = store.get_application("postgresql")
    assert (app.template, app.environment, app.config) == ("postgresql", "dev", "postgresql")
    values = store.get_config("postgresql").values
    password = values["postgresql.password"]
    assert isinstance(password, SecretValue) and len(password.reveal()) >= 24
    assert values["postgresql.user"] == "app" and values["postgresql.storage.size"] == "8Gi"


def test_a_second_install_reuses_the_unchanged_version_and_takes_values(
    store: Store, env: str, market_paths: MarketPaths
) -> None:
    first = install(store, "redis", env=env, author="alice")
    second = install(
        store,
        "redis",
        env=env,
        app="cache",
        author="bob",
        values={"redis.password": "chosen", "redis.maxmemory": "1gb"},
    )
    assert not second.template_created and second.template.version == first.template.version
    assert second.generated == ()
    values = store.get_config("cache").values
    assert values["redis.password"] == SecretValue("chosen"), "a secret key stays secret"
    assert values["redis.maxmemory"] == "1gb"
    assert first.config.values["redis.password"] != values["redis.password"]


def test_an_existing_config_named_like_the_app_is_reused(
    store: Store, env: str, market_paths: MarketPaths
) -> None:
    store.create_config("web", {"nginx.replicas": 5}, author="alice")
    result = install(store, "nginx", env=env, app="web", author="alice")
    assert not result.config_created and result.config.version == 1
    assert store.get_config("web").values == {"nginx.replicas": 5}


def test_the_environment_config_gives_kapstan_keys_and_the_template_keys_it_sets(
    store: Store, env: str, tmp_path: Path, market_paths: MarketPaths
) -> None:
    store.create_config(
        "prod",
        {"kapstan.resourcePolicy": "reject", "nginx.replicas": 4, "other": 1},
        author="alice",
    )
    store.create_environment(
        "prod",
        kubeconfig=str(tmp_path / "kubeconfig"),
        context=None,
        namespace="prod",
        config="prod",
    )
    install(store, "nginx", env="prod", author="alice")
    values = store.get_config("nginx").values
    assert values["kapstan.resourcePolicy"] == "reject" and values["nginx.replicas"] == 4
    assert "other" not in values


def test_bad_input_names_what_is_wrong_and_writes_nothing(
    store: Store, env: str, market_paths: MarketPaths
) -> None:
    with pytest.raises(NotFoundError, match="no template 'postgress' in the market"):
        install(store, "postgress", env=env, author="alice")
    with pytest.raises(NotFoundError, match="environment 'qa' not found"):
        install(store, "redis", env="qa", author="alice")
    with pytest.raises(InputError, match=r"has no config key 'redis\.maxmem'"):
        install(store, "redis", env=env, author="alice", values={"redis.maxmem": "1gb"})
    with pytest.raises(VariableError):
        install(store, "nginx", env=env, author="alice", values={"nginx.replicas": "many"})
    assert store.list_templates() == [] and store.list_configs() == []
    install(store, "redis", env=env, author="alice")
    with pytest.raises(ConflictError, match="application 'redis' exists already"):
        install(store, "redis", env=env, author="alice")


def test_install_from_an_extra_catalog(
    store: Store, env: str, tmp_path: Path, market_paths: MarketPaths
) -> None:
    market.add_catalog("mine", str(write_catalog(tmp_path / "mine")))
    result = install(store, "mine/hello", env=env, author="alice")
    assert result.entry.qualified == "mine/hello"
    assert store.get_config("hello").values == {"hello.image.tag": "1.0", "hello.replicas": 1}
