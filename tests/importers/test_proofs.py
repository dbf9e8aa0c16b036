"""The proof of equivalence of each importer: its differences, and the report's section.

The manifests importer's proof is tested with its findings (test_manifest_findings); here
the compose and Helm imports, and how the section is printed.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from kapstan.cli.import_cmd import format_result
from kapstan.importers import import_compose, import_helm, import_manifests
from kapstan.importers.proof import prove
from tests.importers.conftest import COMPOSE, FIXTURES, MANIFESTS

SHOP_CHART = FIXTURES / "shop"
SHOP_VALUES = FIXTURES / "shop-values-dev.yaml"


@pytest.mark.parametrize("path", [COMPOSE, FIXTURES / "compose-findings" / "compose.yaml"])
def test_compose_imports_render_to_what_the_compose_model_means(path: object) -> None:
    result = import_compose(str(path))
    assert len(result.source_objects) >= 9
    assert result.differences == ()


@pytest.mark.usefixtures("helm_built")
def test_helm_proof_reports_exactly_what_the_import_changed() -> None:
    result = import_helm(SHOP_CHART, values=[SHOP_VALUES])
    # Hook names carry random letters in helm's output: compare without them.
    found = [re.sub(r"-[a-z0-9]{5}(: only in the source)", r"\1", d) for d in result.differences]
    assert found == [
        "Job/shop-migrate: only in the template",  # the random suffix dropped ...
        "Job/shop-migrate: only in the source",
        "Job/shop-schema: only in the template",
        "Job/shop-schema: only in the source",
        "Job/shop-warm-cache: metadata.annotations: source "
        '{"helm.sh/hook":"post-install,post-upgrade","helm.sh/hook-delete-policy":"hook-failed"}, '
        "template (absent)",  # ... hook annotations turned into dependsOn
        "Pod/shop-test: only in the source",  # the test hook not imported
        "Secret/shop-postgresql: data.postgres-password: source <redacted>, template <redacted>",
    ]
    report = "\n".join(result.report)
    for explained in (
        "Job shop-migrate: the chart names it with random letters",
        "Job shop-warm-cache: hook post-install",
        "Pod: helm test hook (test): not imported",
        "Secret shop-postgresql: postgres-password is random in the chart",
    ):
        assert explained in report


def test_the_report_prints_the_equivalence_section() -> None:
    shop = import_manifests(MANIFESTS, name="shop")
    text = format_result(shop, 1, True)
    assert text.endswith(
        "equivalence (2 differences left after normalizing):\n"
        "  ClusterRole/shop-reader: only in the source\n"
        "  Namespace/shop: only in the source"
    )
    same = replace(shop, differences=())
    assert format_result(same, 1, True).endswith(
        "equivalence: the template renders to what the source renders to"
    )
    unproved = replace(shop, source_objects=(), differences=())
    assert "equivalence: not checked" in format_result(unproved, 1, True)


def test_a_template_that_does_not_render_is_one_difference() -> None:
    shop = import_manifests(MANIFESTS, name="shop")
    broken = dict(shop.files)
    broken["services/catalog.yaml"] += (
        "---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {a: '${nowhere}'}\n"
    )
    (only,) = prove(replace(shop, files=broken)).differences
    assert only.startswith("the template does not render with its defaults: ")
    assert "undefined variables (1): nowhere" in only
