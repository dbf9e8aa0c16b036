"""An API on a fresh SQLite store per test, driven in process, with a small world in it:

environments  dev (config dev), staging (config staging), prod (approval required),
              other (another team's)
users         root (administrator), dana (deployer: dev, staging, prod),
              paul (deployer: prod), vic (viewer: dev), olga (deployer: other)
objects       template shop@1; app shop in dev (config dev, db.password secret)
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx2
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import update

from kapstan.api.app import create_app
from kapstan.api.state import ApiState
from kapstan.model.values import SecretValue
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from kapstan.store.tables import UserRow
from tests.api import samples
from tests.sqlitestores import migrated_sqlite
from tests.store.conftest import pg_server  # noqa: F401  (the session PostgreSQL server)

DANA_PASSWORD = "dana-password-long"
USERS = {
    "root": {},
    "dana": {"dev": "deployer", "staging": "deployer", "prod": "deployer"},
    "paul": {"prod": "deployer"},
    "vic": {"dev": "viewer"},
    "olga": {"other": "deployer"},
}


@dataclass
class Api:
    client: TestClient
    store: Store
    state: ApiState
    kubeconfig: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, path: str, user: str = "root", **kw: Any) -> httpx2.Response:
        return self.client.get(path, headers=self.auth(user), **kw)

    def post(self, path: str, body: Any = None, user: str = "root", **kw: Any) -> httpx2.Response:
        return self.client.post(path, json=body, headers=self.auth(user), **kw)

    def put(self, path: str, body: Any, user: str = "root") -> httpx2.Response:
        return self.client.put(path, json=body, headers=self.auth(user))

    def patch(self, path: str, body: Any, user: str = "root") -> httpx2.Response:
        return self.client.patch(path, json=body, headers=self.auth(user))

    def delete(self, path: str, user: str = "root") -> httpx2.Response:
        return self.client.delete(path, headers=self.auth(user))

    def audit(self, action: str) -> list[dict[str, Any]]:
        entries = self.get("/api/v1/audit", params={"limit": 500}).json()["items"]
        return [e for e in entries if e["action"] == action]


def populate(api: Api) -> None:
    store = api.store
    kube = str(api.kubeconfig)
    store.create_config(
        "dev", {"api.replicas": 1, "db.password": SecretValue(samples.SECRET)}, author="setup"
    )
    store.create_config("staging", {"db.password": SecretValue("staging-pw")}, author="setup")
    store.create_config("prod", {"db.password": SecretValue("prod-pw")}, author="setup")
    for env, config in (("dev", "dev"), ("staging", "staging"), ("prod", "prod"), ("other", None)):
        store.create_environment(
            env, kubeconfig=kube, context=None, namespace=f"ns-{env}", config=config
        )
    store.set_environment_approval("prod", True)
    for name, roles in USERS.items():
        store.create_user(name, password=None, admin=name == "root")
        for env, role in roles.items():
            store.grant_role(name, env, role)
        api.tokens[name] = store.create_token(name)[0]
    with store._db.writing() as session:  # dana logs in with a password (see dana_hash)
        session.execute(
            update(UserRow).where(UserRow.name == "dana").values(password_hash=dana_hash())
        )
    assert api.post("/api/v1/templates", samples.template_body()).status_code == 201
    created = api.post(
        "/api/v1/applications", {"name": "shop", "template": "shop", "environment": "dev"}
    )
    assert created.status_code == 201, created.text


@cache
def dana_hash() -> str:
    """Dana's password hashed once a session, with the server's real argon2id parameters.

    argon2 is slow on purpose (~0.1-0.4 s a hash); hashing it for every test's store cost
    the API and console tests most of their set-up time. A login still verifies it for real.
    """
    return PasswordHasher().hash(DANA_PASSWORD)


def open_api(url: str, tmp_path: Path) -> Generator[Api, None, None]:
    """The API on ``url``: a PostgreSQL URL, or a SQLite path (a migrated copy if new)."""
    if "://" not in url and not Path(url).exists():
        migrated_sqlite(Path(url))
    environ = {"KAPSTAN_SECRET_KEY": generate_key()}
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(samples.NO_CLUSTER)
    app = create_app(url, environ=environ, shutdown_wait=10.0)
    with TestClient(app) as client:
        state = app.state.kapstan
        assert state.store is not None
        api = Api(client, state.store, state, kubeconfig)
        populate(api)
        yield api


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from open_api(str(tmp_path / "kapstan.db"), tmp_path)
