"""A small shop on the live sandbox: a store, a template, an environment, an application.

Each test gets its own namespace and SQLite store, so tests never see each other's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kapstan import sandbox
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from kapstan.templates.content import template_digest
from kapstan.templates.loader import read_template_dir
from tests.sqlitestores import migrated_sqlite

KAPSTAN_YAML = """\
name: shop
services:
  db:
    manifests: [db.yaml]
  api:
    manifests: [api.yaml]
    dependsOn: [db]
    calls: [db]
    env: [api.db.host, {log.level: LOG_LEVEL}]
  web:
    manifests: [web.yaml]
    dependsOn: [api]
    calls: [api]
config:
  log.level: info
"""

DB_YAML = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:${db.version:-16}"}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
"""

API_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: ${api.replicas:-2}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "shop/api:${api.tag:-1.0}"}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
"""

WEB_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels:
        app: web
        kapstan.io/sandbox-fault: "${web.fault:-none}"
    spec:
      containers: [{name: web, image: "shop/web:${web.tag:-1.0}"}]
"""


@dataclass
class Shop:
    store: Store
    app: str
    namespace: str
    template_dir: Path
    kubeconfig: Path

    def import_template(self, **files: str) -> int:
        """Write ``files`` (name -> text) over the template and save a new version."""
        for name, text in files.items():
            path = self.template_dir / name
            if text:
                path.write_text(text)
            else:
                path.unlink()
        content = read_template_dir(self.template_dir)
        saved, _ = self.store.save_template_version(
            "shop", content, template_digest(content), author="tester"
        )
        return saved.version

    def set_config(self, **values: str | int) -> int:
        current = dict(self.store.get_config(self.app).values)
        current.update({k.replace("_", "."): v for k, v in values.items()})
        return self.store.add_config_version(self.app, current, author="tester").version

    def follow_latest(self) -> None:
        latest = self.store.get_template("shop").version
        self.store.update_application(self.app, template_version=latest, config_version=None)


@pytest.fixture()
def shop(
    sandbox_cluster: sandbox.SandboxState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Shop]:
    monkeypatch.setenv("KAPSTAN_SECRET_KEY", generate_key())
    tdir = tmp_path / "shop"
    tdir.mkdir()
    for name, text in {
        "kapstan.yaml": KAPSTAN_YAML,
        "db.yaml": DB_YAML,
        "api.yaml": API_YAML,
        "web.yaml": WEB_YAML,
    }.items():
        (tdir / name).write_text(text)
    store = Store.open(str(migrated_sqlite(tmp_path / "kapstan.db")))
    namespace = f"shop-{uuid.uuid4().hex[:8]}"
    app = "shop"
    shop = Shop(store, app, namespace, tdir, sandbox_cluster.kubeconfig)
    version = shop.import_template()
    store.create_config(app, {"api.db.host": "db"}, author="tester")
    store.create_environment(
        "dev",
        kubeconfig=str(sandbox_cluster.kubeconfig),
        context=None,
        namespace=namespace,
        config=None,
    )
    store.create_application(
        app,
        template="shop",
        template_version=version,
        environment="dev",
        config=app,
        config_version=None,
    )
    try:
        yield shop
    finally:
        store.close()
