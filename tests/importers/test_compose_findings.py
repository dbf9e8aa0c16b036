"""Issue 13's compose findings, without a cluster: the translation of the fixture project.

(``test_compose_sandbox`` deploys the same project and reads each finding off the cluster.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.errors import InputError, VariableError
from kapstan.importers import ImportResult, import_compose
from kapstan.importers.composerefs import Reference, addresses
from kapstan.model.values import SecretValue, Value
from kapstan.render.render import render_app
from kapstan.render.variables import default_config
from kapstan.templates.parser import parse_template
from tests.importers.conftest import FIXTURES

PROJECT = FIXTURES / "compose-findings" / "compose.yaml"


@pytest.fixture(scope="module")
def result() -> ImportResult:
    return import_compose(PROJECT)


def _objects(result: ImportResult, service: str) -> dict[str, dict[str, Any]]:
    docs = yaml.safe_load_all(result.files[f"services/{service}.yaml"])
    return {d["kind"]: d for d in docs if d}


def _report(result: ImportResult) -> str:
    return "\n".join(result.report)


@pytest.mark.parametrize(
    ("service", "port", "named_by"),
    [
        ("backend", 8000, "proxy file /etc/nginx/conf.d/default.conf: http://backend:8000"),
        ("cache", 6379, "backend file /etc/notes/settings.ini: redis://cache:6379/1"),
        ("db", 3306, "backend environment DATABASE_URL: mysql://notes@db:3306/notes"),
    ],
)
def test_a_service_others_name_gets_a_service_on_the_port_they_use(
    result: ImportResult, service: str, port: int, named_by: str
) -> None:
    made = _objects(result, service)["Service"]
    assert made["spec"] == {
        "selector": {"app": service},
        "ports": [{"name": f"tcp-{port}", "port": port, "targetPort": port, "protocol": "TCP"}],
    }
    assert (
        f"service {service!r}: has no ports or expose, but others name it: Service {service} "
        f"made (port {port} from {named_by})"
    ) in _report(result)


def test_calls_are_inferred_from_commands_and_delivered_files(result: ImportResult) -> None:
    template = parse_template(result.files)
    assert template.services["worker"].calls == ("cache",)  # --broker=redis://cache:6379/0
    assert template.services["proxy"].calls == ("backend",)
    assert "cache" in template.services["backend"].calls  # settings.ini


def test_a_service_named_without_a_port_is_reported_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(
        "services:\n  app:\n    image: a:1\n    environment: {CACHE_HOST: cache}\n"
        "  cache:\n    image: redis:7\n"
    )
    result = import_compose(path)
    assert "Service" not in _objects(result, "cache")
    assert (
        "service 'cache': has no ports or expose and is named without a port "
        "(app environment CACHE_HOST: cache): no Service is made"
    ) in _report(result)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("proxy_pass http://backend:8000;", [("backend", 8000)]),
        ("--broker=redis://cache", [("cache", 6379)]),
        ("postgres://u:p@db.shop.svc.cluster.local:6543/x", [("db", 6543)]),
        ("https://backend/api", [("backend", 443)]),
        ("tcp://backend", [("backend", None)]),
        ("backend:8000 and cache:6379", [("backend", 8000), ("cache", 6379)]),
        ("backend", []),  # a bare word is not an address
        ("backend.example.com:80", []),  # another host that starts with the name
        ("/srv/backend:ro", []),
        ("image backend:1.0", []),
    ],
)
def test_addresses_with_their_ports(text: str, found: list[tuple[str, int | None]]) -> None:
    names = {"backend": "backend", "cache": "cache", "db": "db"}
    assert [(r.target, r.port) for r in addresses(text, names)] == found
    assert all(isinstance(r, Reference) for r in addresses(text, names))


def test_secrets_configs_and_single_file_bind_mounts_become_delivered_files(
    result: ImportResult,
) -> None:
    template = parse_template(result.files)
    files = {b.name: b.key for b in template.services["backend"].files}
    assert files == {
        "secrets.db-password": "secrets.db-password",
        "configs.backend-settings": "configs.backend-settings",
    }
    ini = (PROJECT.parent / "backend" / "settings.ini").read_text()
    conf = (PROJECT.parent / "proxy" / "default.conf").read_text()
    assert result.config["configs.backend-settings"] == ini
    assert result.config["proxy.files.default_conf"] == conf
    assert "secrets.db-password" not in result.config  # a secret never enters the template
    assert "not-a-real-password" not in "".join(result.files.values())
    mounts = _objects(result, "backend")["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert mounts[0]["volumeMounts"][0] == {
        "name": "kapstan-config",
        "mountPath": "/run/secrets/db-password",
        "subPath": "secrets.db-password",
        "readOnly": True,
    }
    report = _report(result)
    assert (
        "compose.yaml:55: secret 'db-password': became secret config key secrets.db-password, "
        "with no default (a secret never enters the template): set it per environment: "
        "`kapstan config set CONFIG --secret --from-file secrets.db-password=./db/password.txt`"
    ) in report
    assert "not translated" not in report.replace("host port 8080 not translated", "")


def _render(result: ImportResult, **values: Value) -> None:
    template = parse_template(result.files)
    config: dict[str, Value] = {**default_config(template), **values}
    render_app(template, config, app="notes", namespace="ns", hash_key=b"k" * 32)


def test_the_advice_to_make_a_password_secret_works(result: ImportResult) -> None:
    advice = (
        "compose.yaml:21: service 'backend' environment.ADMIN_PASSWORD: ADMIN_PASSWORD looks "
        "like a secret: make config key backend.env.ADMIN_PASSWORD secret (`kapstan config set "
        "CONFIG --secret backend.env.ADMIN_PASSWORD`); ADMIN_PASSWORD then comes from the "
        "service's Secret"
    )
    assert advice in result.report
    secrets = {
        "secrets.db-password": SecretValue("pw"),
        "backend.env.ADMIN_PASSWORD": SecretValue("admin"),
    }
    _render(result, **secrets)  # followed, the advice renders (a placeholder would refuse)


def test_an_unset_secret_key_is_named_before_anything_is_deployed(result: ImportResult) -> None:
    with pytest.raises(VariableError, match=r"undefined variables \(1\): secrets\.db-password"):
        _render(result)


def test_file_variables_are_paths_not_secrets(result: ImportResult, tmp_path: Path) -> None:
    report = _report(result)
    assert (
        "MARIADB_PASSWORD_FILE is the path of a delivered file: /run/secrets/db-password holds "
        "secret config key secrets.db-password"
    ) in report
    assert "MARIADB_PASSWORD_FILE looks like a secret" not in report
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  db:\n    image: pg:1\n    environment: {PGPASSWORD_FILE: /p}\n")
    assert (
        "PGPASSWORD_FILE is a path, not a secret: deliver the file /p from a secret config key"
    ) in _report(import_compose(path))


def test_services_under_a_profile_are_left_out_unless_it_is_chosen(
    result: ImportResult,
) -> None:
    assert "adminer" not in result.services
    assert (
        "compose.yaml:50: service 'adminer' profiles: not imported: under profile debug, not "
        "chosen (import with --profile debug to include it)"
    ) in result.report
    for chosen in (["debug"], ["*"]):
        full = import_compose(PROJECT, profiles=chosen)
        assert "adminer" in full.services
        assert parse_template(full.files).services["adminer"].depends_on == ("db",)
    with pytest.raises(InputError, match="profile typo names no service; profiles of this"):
        import_compose(PROJECT, profiles=["typo"])


def test_a_dependency_on_a_left_out_service_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(
        "services:\n  app:\n    image: a:1\n    depends_on: [tools]\n"
        "  tools:\n    image: t:1\n    profiles: [ops]\n"
    )
    result = import_compose(path)
    assert result.services == ("app",)
    assert "tools is under profile ops, not chosen: this dependency is left out" in _report(result)


def test_source_objects_are_the_compose_model_with_its_values(result: ImportResult) -> None:
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in result.source_objects}
    backend = by_name[("Deployment", "backend")]["spec"]["template"]["spec"]["containers"][0]
    assert backend["image"] == "example/notes-backend:2.3.0"
    env = {e["name"]: e["value"] for e in backend["env"]}
    assert env["DATABASE_URL"] == "mysql://notes@db:3306/notes"
    assert by_name[("Deployment", "backend")]["spec"]["replicas"] == 1
    assert ("Service", "backend") in by_name


def test_the_import_marks_its_image_keys_to_travel_with_a_promotion(result: ImportResult) -> None:
    template = parse_template(result.files)
    assert template.promote == (
        "backend.image.tag",
        "cache.image.tag",
        "db.image.tag",
        "proxy.image.tag",
        "worker.image.tag",
    )
