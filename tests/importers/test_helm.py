"""Helm import: a chart with a subchart rendered by the helm binary, the values set as keys."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kapstan.errors import InputError
from kapstan.importers import ImportResult, import_helm
from kapstan.importers.helmbin import HELM_VERSION, cached_helm, find_helm, require_helm
from kapstan.templates.parser import parse_template
from tests.importers.conftest import CHART, CHART_VALUES, golden

# The set-up script builds helm; a missing one fails these tests with the command to run.
needs_helm = pytest.mark.usefixtures("helm_built")


@pytest.fixture(scope="module")
def result() -> ImportResult:
    require_helm()
    return import_helm(CHART, values=[CHART_VALUES])


@needs_helm
def test_chart_and_subchart_are_split_into_services(result: ImportResult) -> None:
    template = parse_template(result.files)
    assert list(template.services) == ["cache", "blog-api", "blog-worker"]
    assert template.services["blog-api"].depends_on == ("cache",)
    assert template.services["blog-worker"].depends_on == ("blog-api",)


@needs_helm
def test_values_set_become_config_keys_with_placeholders(result: ImportResult) -> None:
    assert result.config == {
        "blog-worker.replicas": 1,
        "cache.image.tag": "7.2",
        "cache.replicas": 1,
        "values.cache.maxMemory": "256mb",
        "values.image.tag": "1.9.2",
        "values.ingress.host": "blog.prod.example.com",
        "values.logLevel": "warn",
        "values.replicaCount": 3,
        "values.worker.concurrency": 8,
    }
    api = result.files["services/blog-api.yaml"]
    assert "replicas: ${values.replicaCount}" in api
    assert 'image: "example/blog:${values.image.tag}"' in api
    assert 'host: "${values.ingress.host}"' in api
    assert (
        '- "--concurrency=${values.worker.concurrency}"'
        in result.files["services/blog-worker.yaml"]
    )


@needs_helm
@pytest.mark.parametrize(
    "path", ["kapstan.yaml", "services/blog-api.yaml", "services/blog-worker.yaml"]
)
def test_translation_matches_golden_text(result: ImportResult, path: str) -> None:
    name = "helm_" + path.replace("/", "_")
    assert result.files[path] == golden(name, result.files[path])


@needs_helm
def test_a_packaged_chart_without_values(tmp_path: Path) -> None:
    helm = require_helm()
    subprocess.run(
        [str(helm), "package", str(CHART), "-d", str(tmp_path)], check=True, capture_output=True
    )
    result = import_helm(tmp_path / "blog-0.3.0.tgz", name="news")
    assert result.name == "news"
    assert set(result.services) == {"blog-api", "blog-worker", "cache"}  # release prefix dropped
    assert not any(key.startswith("values.") for key in result.config)


@needs_helm
def test_untraceable_values_are_reported(tmp_path: Path) -> None:
    values = tmp_path / "v.yaml"
    values.write_text("worker:\n  enabled: false\nunused: 12\n")
    result = import_helm(CHART, values=[values])
    assert "blog-worker" not in result.services
    report = "\n".join(result.report)
    assert "values values.worker.enabled: False kept literal" in report
    assert "values values.unused: not traced to a manifest field" in report


@needs_helm
def test_a_failing_chart_is_an_input_error(tmp_path: Path) -> None:
    chart = tmp_path / "bad"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: bad\nversion: 0.1.0\n")
    (chart / "templates" / "x.yaml").write_text("kind: {{ .Values.nope.deeper }}\n")
    with pytest.raises(InputError, match=r"helm template failed: .*x\.yaml"):
        import_helm(chart)


def test_not_a_chart(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a chart"):
        import_helm(tmp_path)


def test_bad_values_file_names_file_and_line(tmp_path: Path) -> None:
    values = tmp_path / "v.yaml"
    values.write_text("a: [1\n")
    with pytest.raises(InputError, match=f"{values}:2:1: YAML syntax error"):
        import_helm(CHART, values=[values])


def test_without_helm_the_error_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("KAPSTAN_CACHE_DIR", str(tmp_path))
    assert find_helm() is None
    assert cached_helm() == tmp_path / f"helm-{HELM_VERSION}-kube1.37" / "helm"
    with pytest.raises(InputError, match=r"kapstan import helm --build CHART.*scripts/setup.sh"):
        import_helm(CHART)
