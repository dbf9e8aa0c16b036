"""What the servers of ``bench_api.py`` hold while they are measured.

Kapstan's store, filled through ``kapstan.store.Store`` (not HTTP): applications spread over
4 environments, each environment with its own config (20 keys, one of them secret) and a
kubeconfig naming a cluster that is down, one template of 3 services, one finished deploy
operation per application, an admin (its token for the API) and a console user. The peer's
namespace gets as many ConfigMaps, each about the size and shape of an application record.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from apiservers import free_port  # bench/apiservers.py, beside this module

from kapstan.model.operation import Step
from kapstan.model.values import SecretValue, Value
from kapstan.store import Store
from kapstan.templates.content import template_digest

ENVIRONMENTS = ("dev", "qa", "staging", "prod")
ADMIN, CONSOLE_USER, CONSOLE_PASSWORD = "root", "ops", "bench-console-password"
NAMESPACE = "bench"

KAPSTAN_YAML = """\
name: shop
services:
  db:
    manifests: [db.yaml]
    env: [{db.password: POSTGRES_PASSWORD}]
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

WORKLOAD = """\
apiVersion: apps/v1
kind: {kind}
metadata: {{name: {name}}}
spec:
  replicas: ${{{name}.replicas:-1}}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: {name}
          image: "shop/{name}:${{{name}.tag:-1.0}}"
          resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{memory: 256Mi}}}}
"""

FILES = {
    "kapstan.yaml": KAPSTAN_YAML,
    "db.yaml": WORKLOAD.format(kind="StatefulSet", name="db").replace(
        "  selector:", "  serviceName: db\n  selector:"
    ),
    "api.yaml": WORKLOAD.format(kind="Deployment", name="api"),
    "web.yaml": WORKLOAD.format(kind="Deployment", name="web"),
}
SERVICES = ("db", "api", "web")


@dataclass(frozen=True)
class Fixture:
    apps: list[str]
    configs: list[str]
    token: str
    seconds: float


def unreachable_kubeconfig(path: Path) -> Path:
    """A kubeconfig that loads, whose server is a port nobody listens on (a cluster that is down)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "down",
        "clusters": [{"name": "down", "cluster": {"server": f"https://127.0.0.1:{free_port()}"}}],
        "users": [{"name": "down", "user": {"token": "none"}}],
        "contexts": [{"name": "down", "context": {"cluster": "down", "user": "down"}}],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def config_values(env: str) -> dict[str, Value]:
    values: dict[str, Value] = {f"feature.{i}": f"{env}-value-{i}" for i in range(15)}
    values.update({"log.level": "info", "api.replicas": 2, "web.replicas": 2, "api.tag": "1.4"})
    values["db.password"] = SecretValue(f"{env}-secret-password")
    return values


def fill(store: Store, kubeconfig: Path, count: int) -> Fixture:
    started = time.perf_counter()
    store.save_template_version("shop", FILES, template_digest(FILES), author="bench")
    for env in ENVIRONMENTS:
        store.create_config(env, config_values(env), author="bench", message="bench sizing")
        store.create_environment(
            env, kubeconfig=str(kubeconfig), context=None, namespace=env, config=env
        )
    apps = [f"app-{i:04d}" for i in range(count)]
    for i, name in enumerate(apps):
        env = ENVIRONMENTS[i % len(ENVIRONMENTS)]
        store.create_application(
            name,
            template="shop",
            template_version=1,
            environment=env,
            config=env,
            config_version=None,
        )
        operation = store.start_operation(name, "deploy", author="bench", services=SERVICES)
        store.finish_operation(operation.id, Step.SUCCEEDED, "deployed")
    store.create_user(ADMIN, password=None, admin=True)
    token = store.create_token(ADMIN, description="bench")[0]
    store.create_user(CONSOLE_USER, password=CONSOLE_PASSWORD, admin=True)
    return Fixture(apps, list(ENVIRONMENTS), token, time.perf_counter() - started)


def configmap(i: int) -> dict[str, Any]:
    """About the size and shape of an application record: a few names and versions, some keys."""
    env = ENVIRONMENTS[i % len(ENVIRONMENTS)]
    data = {
        "template": "shop",
        "templateVersion": "1",
        "environment": env,
        "config": env,
        "services": "db,api,web",
        **{f"feature.{k}": f"{env}-value-{k}" for k in range(8)},
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"app-{i:04d}", "labels": {"env": env}},
        "data": data,
    }


async def fill_kube(client: httpx.AsyncClient, count: int, clients: int) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    (await client.post("/api/v1/namespaces", json=namespace)).raise_for_status()
    numbers = itertools.count()

    async def worker() -> None:
        while (i := next(numbers)) < count:
            answer = await client.post(
                f"/api/v1/namespaces/{NAMESPACE}/configmaps", json=configmap(i)
            )
            answer.raise_for_status()

    await asyncio.gather(*(worker() for _ in range(clients)))
