"""``kapstan app`` and ``kapstan env``: creation checked by rendering, history and diffs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from kapstan.actions.rendering import render_application
from kapstan.render.hashing import service_yaml
from kapstan.store import Store
from tests.cli.conftest import Run


def _env(kapstan: Run, kubeconfig: Path, name: str = "dev", *config: str) -> None:
    args = ("env", "create", name, "--kubeconfig", kubeconfig, "--namespace", "shop", *config)
    assert kapstan(*args).code == 0


def test_undefined_variables_listed_at_once_and_nothing_written(
    kapstan: Run, bookstore: Path, kubeconfig: Path, store: Callable[[], Store]
) -> None:
    kapstan("template", "import", bookstore)
    _env(kapstan, kubeconfig)
    result = kapstan("app", "create", "shop", "--template", "bookstore", "--env", "dev")
    assert result.code == 1
    assert "undefined variables (2): db.password, web.host" in result.err
    assert "web.host  at services/web.yaml:38  (service web)" in result.err
    assert "kapstan config set" in result.err
    s = store()
    assert s.list_applications() == [] and s.list_configs() == []


def test_default_config_made_from_template_defaults(
    kapstan: Run, bookstore: Path, kubeconfig: Path, store: Callable[[], Store]
) -> None:
    web = bookstore / "services" / "web.yaml"
    web.write_text(web.read_text().replace("${web.host}", "${web.host:-shop.local}"))
    main = bookstore / "kapstan.yaml"
    text = main.read_text().replace("    env: {db.password: POSTGRES_PASSWORD}\n", "")
    main.write_text(text.replace(", {db.password: DB_PASSWORD}", ""))
    imported = kapstan("template", "import", bookstore)
    assert imported.code == 0, imported.err
    _env(kapstan, kubeconfig)
    created = kapstan("app", "create", "shop", "--template", "bookstore@1", "--env", "dev")
    assert created.code == 0, created.err
    config = store().get_config("shop")
    assert config.values["web.host"] == "shop.local" and config.values["catalog.replicas"] == 2
    assert config.message == "defaults of template bookstore@1"


def test_type_mismatch_is_refused(
    kapstan: Run, bookstore: Path, kubeconfig: Path, store: Callable[[], Store]
) -> None:
    kapstan("template", "import", bookstore)
    kapstan(
        "config", "set", "dev", "web.host=a.example.com", "catalog.replicas=many", "db.password=x"
    )
    _env(kapstan, kubeconfig, "dev", "--config", "dev")
    result = kapstan("app", "create", "shop", "--template", "bookstore", "--env", "dev")
    assert result.code == 1
    assert "catalog.replicas" in result.err and "services/catalog.yaml:6" in result.err
    assert store().list_applications() == []


def test_unknown_names_and_duplicates(shop: Run, kubeconfig: Path) -> None:
    cases = {
        ("app", "show", "nope"): "application 'nope' not found",
        ("app", "create", "x", "--template", "nope", "--env", "dev"): "template 'nope' not found",
        (
            "app",
            "create",
            "x",
            "--template",
            "bookstore",
            "--env",
            "prod",
        ): "environment 'prod' not found",
        (
            "app",
            "create",
            "x",
            "--template",
            "bookstore",
            "--env",
            "dev",
            "--config",
            "dev@9",
        ): "config 'dev' has no version 9",
        (
            "app",
            "create",
            "shop",
            "--template",
            "bookstore",
            "--env",
            "dev",
        ): "application 'shop' exists already",
        (
            "app",
            "render",
            "shop",
            "-s",
            "nope",
        ): "application 'shop' has no service 'nope'; its services are: postgres, catalog, web",
        (
            "app",
            "update",
            "shop",
            "--template-version",
            "5",
        ): "template 'bookstore' has no version 5",
        ("env", "clone", "dev", "dev"): "environment 'dev' exists already",
        (
            "env",
            "create",
            "e",
            "--kubeconfig",
            "/nonexistent",
            "--namespace",
            "x",
        ): "kubeconfig '/nonexistent' is not a file",
        (
            "env",
            "create",
            "e",
            "--kubeconfig",
            kubeconfig,
            "--namespace",
            "x",
            "--config",
            "nope",
        ): "config 'nope' not found",
    }
    for args, message in cases.items():
        result = shop(*args)
        assert result.code == 1, args
        assert message in result.err, (args, result.err)


def test_render_selected_services(shop: Run) -> None:
    docs = list(
        yaml.safe_load_all(shop("app", "render", "shop", "-s", "web", "-s", "postgres").out)
    )
    assert {d["metadata"]["labels"]["kapstan.io/service"] for d in docs} == {"web", "postgres"}
    as_json = shop("app", "render", "shop", "-s", "web", "-o", "json").json()
    assert [o["kind"] for o in as_json[0]["objects"]] == ["Deployment", "Service", "Ingress"]


def _deploy(s: Store, service: str, message: str) -> None:
    """Record a revision as the deploy engine would: the redacted YAML and the hash."""
    version = render_application(s, "shop")
    rendered = version.rendered.services[service]
    s.add_revision(
        "shop",
        service,
        manifests=service_yaml(rendered),
        hash=rendered.hash,
        template=version.template.name,
        template_version=version.template_version,
        config=version.config_name,
        config_version=version.config_version,
        author="deployer",
        message=message,
    )


def test_history_and_diff_of_revisions(shop: Run, store: Callable[[], Store]) -> None:
    s = store()
    _deploy(s, "catalog", "first")
    _deploy(s, "web", "first")
    shop("config", "set", "dev", "catalog.replicas=4", "catalog.image.tag=2.0")
    shop("app", "update", "shop")
    _deploy(s, "catalog", "scale")

    history = shop("app", "history", "shop", "-o", "json").json()
    assert [(h["service"], h["revision"], h["config"]) for h in history] == [
        ("catalog", 1, "dev@2"),
        ("catalog", 2, "dev@3"),
        ("web", 1, "dev@2"),
    ]
    only = shop("app", "history", "shop", "-s", "web").out.splitlines()
    assert len(only) == 2 and only[1].split()[:3] == ["web", "1", "deployed"]
    assert shop("app", "services", "shop", "-o", "json").json()[1]["revision"] == 2

    unified = shop("app", "diff", "shop", "-s", "catalog", "1", "2").out
    assert "--- shop/catalog@1\n+++ shop/catalog@2\n" in unified
    assert "-  replicas: 1\n+  replicas: 4\n" in unified
    structured = shop("app", "diff", "shop", "-s", "catalog", "1", "2", "--structured").out
    assert "  spec.replicas: 1 -> 4\n" in structured
    assert (
        "image: 'registry.example.com/catalog:1.0.0' -> 'registry.example.com/catalog:2.0'"
        in structured
    )
    data = shop("app", "diff", "shop", "-s", "catalog", "1", "2", "-o", "json").json()
    assert data["old"]["revision"] == 1 and data["structured"][0]["action"] == "changed"

    missing = shop("app", "diff", "shop", "-s", "catalog", "1", "7")
    assert missing.code == 1 and "has no revision 7 (latest is 2)" in missing.err
    assert "no service 'nope'" in shop("app", "history", "shop", "-s", "nope").err


def test_env_show_and_list(shop: Run) -> None:
    shop("env", "clone", "dev", "staging", "--namespace", "shop-staging")
    envs = shop("env", "list", "-o", "json").json()
    assert [(e["name"], e["config"], e["namespace"]) for e in envs] == [
        ("dev", "dev", "shop"),
        ("staging", "staging", "shop-staging"),
    ]
    dev = shop("env", "show", "dev", "-o", "yaml").out
    assert yaml.safe_load(dev)["applications"] == ["shop"]
    assert "configVersion: 2" in shop("env", "show", "dev").out


def test_app_update_is_audited_once_locally(shop: Run, store: Callable[[], Store]) -> None:
    # The audit entry belongs to the action, so the local CLI writes it as the API does.
    shop("config", "set", "dev", "catalog.replicas=4")
    shop("app", "update", "shop")
    entries = [e for e in store().list_audit() if e.action == "app.update"]
    assert [(e.actor, e.name, e.details.get("via")) for e in entries] == [("tester", "shop", "cli")]
    moved = entries[0].details
    assert moved["configTo"] == moved["configFrom"] + 1 and moved["changed"] == ["catalog"]
