"""docker-compose import: the translation (golden text), the report, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.errors import InputError
from kapstan.importers import ImportResult, import_compose
from kapstan.templates.parser import parse_template
from tests.importers.conftest import COMPOSE, golden


@pytest.fixture(scope="module")
def result() -> ImportResult:
    return import_compose(COMPOSE)


def test_every_service_becomes_a_kapstan_service_with_its_relations(result: ImportResult) -> None:
    template = parse_template(result.files)
    assert list(template.services) == [
        "web",
        "api",
        "worker",
        "migrate",
        "db",
        "cache",
        "queue",
        "mailer",
        "search-engine",
    ]
    assert template.services["api"].depends_on == ("db", "cache", "migrate")
    assert template.services["api"].calls == ("db", "cache")
    assert template.services["worker"].depends_on == ("queue", "db")
    assert template.services["search-engine"].depends_on == ("worker",)


@pytest.mark.parametrize(
    "path",
    [
        "kapstan.yaml",
        "services/api.yaml",
        "services/db.yaml",
        "services/migrate.yaml",
        "services/mailer.yaml",
        "services/queue.yaml",
        "services/web.yaml",
    ],
)
def test_translation_matches_golden_text(result: ImportResult, path: str) -> None:
    name = "compose_" + path.replace("/", "_")
    assert result.files[path] == golden(name, result.files[path])


def test_report_matches_golden_text(result: ImportResult) -> None:
    text = "\n".join(result.report) + "\n"
    assert text == golden("compose_report.txt", text)


def test_report_names_file_line_service_and_key(result: ImportResult) -> None:
    report = "\n".join(result.report)
    for expected in (
        "docker-compose.yml:21: service 'api' build: not translated",
        "docker-compose.yml:47: service 'api' networks: not translated",
        "service 'api' extra_hosts: not translated",
        "service 'db' cap_add: not translated",
        "service 'db' volumes[1]: bind mount ./initdb:/docker-entrypoint-initdb.d not translated",
        "service 'queue' ulimits: not translated",
        "service 'mailer' secrets[0]: secrets.relay_password delivered as file /run/secrets/relay_password",
        "service 'Search_Engine': renamed to search-engine",
        "migrate became a Job and dependsOn waits until it completes",
        "service_started became dependsOn, which waits until cache is ready",
        "service 'worker' deploy.mode: not translated",
        "docker-compose.yml:144: networks: not translated",
    ):
        assert expected in report, expected


def test_environment_image_tags_and_replicas_are_config_keys(result: ImportResult) -> None:
    config = result.config
    assert config["api.replicas"] == 3 and config["worker.replicas"] == 2
    assert config["web.env.LOG_LEVEL"] == "info" and config["web.env.TZ"] == "UTC"
    assert config["api.env.WORKERS"] == "4"  # from api.env, read beside the compose file
    assert config["api.env.FEATURE_FLAGS"] == "checkout-v2,wishlist"
    assert config["api.env.SENTRY_DSN"] == ""
    assert config["db.image.tag"] == "16.4" and config["API_TAG"] == "1.4.3"  # from .env
    assert 'image: "storefront/api:${API_TAG:-1.4.2}"' in result.files["services/api.yaml"]
    assert 'value: "${RELAY_HOST:-smtp.example.com}"' in result.files["services/mailer.yaml"]
    assert parse_template(result.files).config == config


def test_name_option_names_the_template() -> None:
    assert import_compose(COMPOSE, name="Shop Front").name == "shop-front"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "compose.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("services:\n  web:\n    image: [a\n", "compose.yaml:4:1: YAML syntax error"),
        ("- web\n- api\n", "a compose file must be a mapping with 'services', not a list"),
        ("", "a compose file must be a mapping with 'services', not empty"),
        ("services: {}\n", "compose.yaml:1: 'services' must be a non-empty mapping"),
        ("services:\n  web: nginx\n", "compose.yaml:2: service 'web' must be a mapping"),
        (
            "services:\n  web:\n    image: nginx\n    depends_on: [api]\n",
            "compose.yaml:4: service 'web' depends_on[0]: depends_on names unknown service 'api'",
        ),
        (
            "services:\n  a: {image: x}\n  web:\n    image: nginx\n    depends_on:\n      a: {condition: service_done}\n",
            "service 'web' depends_on.a.condition: unknown condition 'service_done'",
        ),
        (
            "services:\n  web:\n    image: nginx\n    ports: ['80:abc']\n",
            "service 'web' ports[0]: 'abc' is not a port number",
        ),
        (
            "services:\n  web:\n    image: nginx\n    env_file: missing.env\n",
            "env file missing.env not found",
        ),
        (
            "services:\n  web:\n    image: nginx\n    healthcheck: {test: [CMD], interval: soon}\n",
            "service 'web' healthcheck.test",
        ),
    ],
)
def test_bad_input_names_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        import_compose(path)
    assert str(path) in str(caught.value)
    assert message.replace("compose.yaml:", f"{path}:") in str(caught.value)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        import_compose(tmp_path / "nope.yml")


def test_interpolation_forms(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "services:\n  web:\n    image: 'nginx:${TAG}'\n    ports: ['${PORT:-8080}']\n"
        "    environment:\n      A: 'x-${MODE:?need mode}'\n      B: '$$HOME and $${literal}'\n"
        "      C: '${FLAG:+on}'\n      D: '$USER'\n",
    )
    result = import_compose(path)
    web = result.files["services/web.yaml"]
    assert 'image: "nginx:${TAG}"' in web
    assert "containerPort: 8080" in web
    assert 'value: "x-${MODE}"' in web and 'value: "${USER}"' in web
    assert 'value: "$HOME and $${literal}"' in web  # renders as: $HOME and ${literal}
    report = "\n".join(result.report)
    assert "variable TAG has no default: set config key TAG before deploying" in report
    assert "variable ${PORT:-8080} resolved to '8080' at import" in report
    assert "variable ${FLAG:+on} not translated: resolved at import" in report
