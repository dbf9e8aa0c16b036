"""A small template (db, api, web) as a JSON import body, and a kubeconfig with no cluster."""

from __future__ import annotations

from typing import Any

KAPSTAN_YAML = """\
name: shop
services:
  db:
    manifests: [db.yaml]
  api:
    manifests: [api.yaml]
    dependsOn: [db]
    calls: [db]
    env: [{db.password: DB_PASSWORD}, {log.level: LOG_LEVEL}]
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
"""

API_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: ${api.replicas:-1}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "shop/api:${api.image.tag:-1.0}"}]
"""

WEB_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "shop/web:${web.tag:-1.0}"}]
"""

FILES = {
    "kapstan.yaml": KAPSTAN_YAML,
    "db.yaml": DB_YAML,
    "api.yaml": API_YAML,
    "web.yaml": WEB_YAML,
}

# A kubeconfig that loads but names no context: every cluster call fails at once.
NO_CLUSTER = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"

SECRET = "hunter2-plaintext-Z9"  # the secret value no response may ever contain


def template_body(**files: str) -> dict[str, Any]:
    return {"name": "shop", "files": {**FILES, **files}, "message": "from a test"}
