"""Two (or more) real ``kapstan server`` processes on one fresh PostgreSQL database.

``world`` fills the database from this process: a root user and its token, config ``dev``,
template ``shop`` (its ``web.yaml`` replaceable), environment ``live`` on a kubeconfig, and
application ``shop``. ``start`` starts named replicas with a short lock lease and a fast
reaper, so a takeover happens in seconds; every process stops by pid when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from kapstan.model.values import SecretValue
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from kapstan.templates.content import template_digest
from kapstan.templates.loader import read_template_dir
from tests.api import samples
from tests.replicas.servers import Replica, replicas
from tests.store import postgres
from tests.store.conftest import pg_server  # noqa: F401  (the session PostgreSQL server)

LEASE = 2.0
INTERVAL = 0.5
Start = Callable[..., dict[str, Replica]]


@dataclass
class World:
    url: str
    key: str
    store: Store
    token: str
    tmp: Path

    @property
    def environ(self) -> dict[str, str]:
        return {
            "KAPSTAN_SECRET_KEY": self.key,
            "KAPSTAN_LOCK_LEASE": str(LEASE),
            "KAPSTAN_REAPER_INTERVAL": str(INTERVAL),
        }


def populate(store: Store, tmp: Path, kubeconfig: Path, namespace: str, web_yaml: str) -> None:
    store.create_config("dev", {"db.password": SecretValue("pw")}, author="setup")
    shop = tmp / "shop"
    shop.mkdir()
    for name, text in {**samples.FILES, "web.yaml": web_yaml}.items():
        (shop / name).write_text(text)
    content = read_template_dir(shop)
    store.save_template_version("shop", content, template_digest(content), author="setup")
    store.create_environment(
        "live", kubeconfig=str(kubeconfig), context=None, namespace=namespace, config="dev"
    )
    store.create_application(
        "shop",
        template="shop",
        template_version=1,
        environment="live",
        config="dev",
        config_version=None,
    )


@pytest.fixture
def world(pg_server: postgres.Server, tmp_path: Path) -> Iterator[World]:  # noqa: F811
    key = generate_key()
    with pg_server.database(migrated=True) as url:  # a copy of the migrated template
        store = Store.open(url, environ={"KAPSTAN_SECRET_KEY": key})
        try:
            store.create_user("root", password=None, admin=True)
            token = store.create_token("root")[0]
            yield World(url, key, store, token, tmp_path)
        finally:
            store.close()


@pytest.fixture
def start(world: World) -> Iterator[Start]:
    with ExitStack() as stack:

        def starting(*names: str) -> dict[str, Replica]:
            return stack.enter_context(
                replicas(world.url, world.token, world.environ, world.tmp, names)
            )

        yield starting
