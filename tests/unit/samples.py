"""In-memory templates shared by the unit tests."""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"

KAPSTAN_YAML = """\
name: bookstore
services:
  postgres:
    manifests: [services/postgres/*.yaml]
  catalog:
    manifests: [services/catalog.yaml]
    dependsOn: [postgres]
    calls: [postgres]
    env: [catalog.db.url, {log.level: LOG_LEVEL}, db.password]
    files: {app.properties: catalog.props}
  web:
    manifests: [services/web.yaml]
    dependsOn: [catalog]
    calls: [catalog]
config:
  catalog.replicas: 2
  log.level: info
"""

POSTGRES_YAML = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
spec:
  replicas: 1
  serviceName: postgres
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      containers:
        - name: postgres
          image: postgres:${postgres.version:-16}
          ports: [{containerPort: 5432}]
---
apiVersion: v1
kind: Service
metadata:
  name: postgres
spec:
  ports: [{port: 5432}]
"""

CATALOG_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: catalog
spec:
  replicas: ${catalog.replicas}
  selector: {matchLabels: {app: catalog}}
  template:
    metadata: {labels: {app: catalog}}
    spec:
      containers:
        - name: catalog
          image: "repo/catalog:${catalog.image.tag:-latest}"
          args: ["--home=$${HOME}"]
"""

WEB_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${web.replicas:-3}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: repo/web:1.0
          env:
            - name: CATALOG_HOST
              value: ${catalog.host:-catalog}
"""


def bookstore_files() -> dict[str, str]:
    return {
        "kapstan.yaml": KAPSTAN_YAML,
        "services/postgres/statefulset.yaml": POSTGRES_YAML,
        "services/catalog.yaml": CATALOG_YAML,
        "services/web.yaml": WEB_YAML,
    }


def one_service(manifest: str, extra: str = "") -> dict[str, str]:
    """A template with a single service ``app`` made of ``manifest``."""
    kapstan = f"name: t\nservices:\n  app:\n    manifests: [app.yaml]\n{extra}"
    return {"kapstan.yaml": kapstan, "app.yaml": manifest}


def deployment(replicas: str = "1", image: str = "img:1", name: str = "app") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  template:
    spec:
      containers:
        - name: main
          image: {image}
"""
