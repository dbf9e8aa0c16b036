"""The whole flow, as a user types it: import, vars, config, env, app, render, graph, changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kapstan.store import Store
from tests.cli.conftest import GOLDEN, Run


def test_full_flow(
    kapstan: Run, bookstore: Path, kubeconfig: Path, store: Callable[[], Store]
) -> None:
    imported = kapstan("template", "import", bookstore, "-m", "first cut")
    assert (imported.code, imported.out) == (0, "template bookstore: version 1 saved\n")

    variables = kapstan("template", "vars", "bookstore", "-o", "json").json()
    by_key = {v["key"]: v for v in variables}
    assert by_key["web.host"]["required"] is True
    assert by_key["catalog.replicas"]["default"] == 2
    assert by_key["db.password"]["services"] == ["catalog", "postgres"]
    assert {
        "file": "services/catalog.yaml",
        "line": 15,
        "service": "catalog",
        "field": "spec.template.spec.containers[0].image",
    } in by_key["catalog.image.tag"]["uses"]

    assert (
        kapstan("config", "set", "dev", "web.host=shop.example.com", "catalog.replicas=3").code == 0
    )
    assert kapstan("config", "set", "dev", "--secret", "db.password=pw").code == 0
    create = (
        "env",
        "create",
        "dev",
        "--kubeconfig",
        kubeconfig,
        "--namespace",
        "shop",
        "--config",
        "dev",
    )
    assert kapstan(*create).code == 0
    cloned = kapstan("env", "clone", "dev", "staging", "--namespace", "shop-staging")
    assert cloned.out == (
        "environment staging cloned from dev (namespace shop-staging) with config staging\n"
    )
    created = kapstan("app", "create", "shop", "--template", "bookstore", "--env", "dev")
    assert "config dev@2" in created.out, created.err

    rendered = list(yaml.safe_load_all(kapstan("app", "render", "shop").out))
    kinds = [doc["kind"] for doc in rendered]
    assert kinds.count("Deployment") == 2 and "StatefulSet" in kinds and "Ingress" in kinds
    catalog = next(
        d for d in rendered if d["kind"] == "Deployment" and d["metadata"]["name"] == "catalog"
    )
    assert catalog["spec"]["replicas"] == 3  # an int, from `replicas=3`

    services = kapstan("app", "services", "shop", "-o", "json").json()
    assert [s["service"] for s in services] == ["postgres", "catalog", "web"]
    assert services[2]["kinds"] == ["Deployment", "Service", "Ingress"]
    assert services[1]["dependsOn"] == ["postgres"] and services[2]["calls"] == ["catalog"]
    assert all(s["hash"].startswith("sha256:") and s["revision"] is None for s in services)

    assert kapstan("config", "set", "dev", "web.image.tag=2.0.0", "-m", "new web").code == 0
    changes = kapstan("app", "changes", "shop")
    assert changes.out.splitlines()[1:] == ["  web: changed (keys: web.image.tag)"]
    as_json = kapstan("app", "changes", "shop", "-o", "json").json()
    assert [(c["service"], c["keys"]) for c in as_json["changes"]] == [("web", ["web.image.tag"])]
    assert as_json["config"] == {"name": "dev", "from": 2, "to": 3}

    assert kapstan("app", "update", "shop").code == 0
    s = store()
    assert s.get_application("shop").config_version == 3
    assert kapstan("app", "changes", "shop").out.endswith("no service changes\n")


@pytest.mark.parametrize(
    ("fmt", "golden"), [("text", "graph.txt"), ("dot", "graph.dot"), ("mermaid", "graph.mmd")]
)
def test_graph_golden(shop: Run, fmt: str, golden: str) -> None:
    result = shop("app", "graph", "shop", "-o", fmt)
    assert result.code == 0
    assert result.out == (GOLDEN / golden).read_text()


def test_changes_names_template_files(shop: Run, bookstore: Path) -> None:
    web = bookstore / "services" / "web.yaml"
    web.write_text(web.read_text().replace("containerPort: 8080", "containerPort: 9090"))
    assert shop("template", "import", bookstore).out == "template bookstore: version 2 saved\n"
    found = shop("app", "changes", "shop", "-o", "json").json()
    assert [(c["service"], c["files"]) for c in found["changes"]] == [
        ("web", ["services/web.yaml"])
    ]
    same = shop("app", "changes", "shop", "--template-version", "1", "-o", "json").json()
    assert same["changes"] == []
    assert shop("app", "update", "shop", "--template-version", "2").code == 0
    assert "template: bookstore@2" in shop("app", "show", "shop").out
