"""``kapstan template``: versions, show, vars, export round trip, and bad input writing nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kapstan.store import Store
from tests.cli.conftest import Run


def test_unchanged_import_makes_no_version(kapstan: Run, bookstore: Path) -> None:
    assert kapstan("template", "import", bookstore).out == "template bookstore: version 1 saved\n"
    again = kapstan("template", "import", bookstore, "-m", "again")
    assert (again.code, again.out) == (0, "template bookstore: unchanged, still version 1\n")
    history = kapstan("template", "history", "bookstore", "-o", "json").json()
    assert [h["version"] for h in history] == [1]


def test_import_under_another_name_is_refused(kapstan: Run, bookstore: Path) -> None:
    """One source of truth: the stored name is kapstan.yaml's, which a deploy renders."""
    refused = kapstan("template", "import", bookstore, "--name", "shop-tpl")
    assert refused.code == 1
    assert "'shop-tpl' differs from the name in kapstan.yaml ('bookstore')" in refused.err
    assert kapstan("template", "list", "-o", "json").json() == []
    assert kapstan("template", "import", bookstore, "--name", "bookstore").code == 0
    names = [t["name"] for t in kapstan("template", "list", "-o", "json").json()]
    assert names == ["bookstore"]


def test_export_round_trip(kapstan: Run, bookstore: Path, tmp_path: Path) -> None:
    kapstan("template", "import", bookstore)
    out = tmp_path / "exported"
    exported = kapstan("template", "export", "bookstore@1", out)
    assert exported.code == 0, exported.err
    for path in bookstore.rglob("*"):
        if path.is_file():
            assert (out / path.relative_to(bookstore)).read_bytes() == path.read_bytes()
    reimported = kapstan("template", "import", out)
    assert reimported.out == "template bookstore: unchanged, still version 1\n"
    refused = kapstan("template", "export", "bookstore", out)
    assert refused.code == 1 and "not empty" in refused.err


def test_show_lists_services_relations_and_files(kapstan: Run, bookstore: Path) -> None:
    kapstan("template", "import", bookstore)
    shown = kapstan("template", "show", "bookstore", "-o", "json").json()
    assert [s["name"] for s in shown["services"]] == ["postgres", "catalog", "web"]
    catalog = shown["services"][1]
    assert catalog["dependsOn"] == ["postgres"] and catalog["calls"] == ["postgres"]
    assert catalog["env"] == [
        {"key": "catalog.log-level", "name": "CATALOG_LOG_LEVEL"},
        {"key": "db.password", "name": "DB_PASSWORD"},
    ]
    assert "services/web.yaml" in shown["files"]
    table = kapstan("template", "show", "bookstore@1").out
    assert "catalog   services/catalog.yaml   postgres   postgres" in table


def test_vars_table_names_files_and_lines(kapstan: Run, bookstore: Path) -> None:
    kapstan("template", "import", bookstore)
    lines = kapstan("template", "vars", "bookstore").out.splitlines()
    assert lines[0].split() == ["KEY", "DEFAULT", "SERVICES", "USED", "AT"]
    assert "web.host           (required)  web                services/web.yaml:38" in lines
    assert any(line.startswith("catalog.replicas   2 ") for line in lines)


def _break(bookstore: Path, rel: str, old: str, new: str) -> None:
    path = bookstore / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


BAD_TEMPLATES = [
    pytest.param(
        ("services/web.yaml", "  replicas: ${web.replicas:-2}\n", "  replicas: [oops\n"),
        "services/web.yaml:7:11: YAML syntax error",
        id="yaml-syntax",
    ),
    pytest.param(
        ("services/catalog.yaml", "apiVersion: apps/v1\n", ""),
        "missing apiVersion",
        id="missing-apiversion",
    ),
    pytest.param(
        (
            "kapstan.yaml",
            "    manifests: [services/postgres.yaml]\n",
            "    manifests: [services/postgres.yaml]\n    dependsOn: [web]\n",
        ),
        "dependency cycle: postgres -> web -> catalog -> postgres",
        id="cycle",
    ),
    pytest.param(
        ("kapstan.yaml", "calls: [catalog]", "calls: [catalogue]"),
        "unknown service 'catalogue'; did you mean 'catalog'?",
        id="unknown-service",
    ),
    pytest.param(
        ("services/web.yaml", "${web.image.tag:-1.0.0}", "${web.image.tag"),
        "services/web.yaml:15:",
        id="bad-placeholder",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD_TEMPLATES)
def test_bad_template_writes_nothing(
    kapstan: Run,
    bookstore: Path,
    store: Callable[[], Store],
    change: tuple[str, str, str],
    message: str,
) -> None:
    _break(bookstore, *change)
    result = kapstan("template", "import", bookstore)
    assert result.code == 1
    assert result.out == ""
    assert message in result.err
    assert store().list_templates() == []


def test_binary_file_is_refused(kapstan: Run, bookstore: Path, store: Callable[[], Store]) -> None:
    (bookstore / "services" / "web.yaml").write_bytes(b"apiVersion: v1\x00\x01\x02")
    result = kapstan("template", "import", bookstore)
    assert result.code == 1
    assert "services/web.yaml: binary file" in result.err
    assert store().list_templates() == []


def test_unknown_template_and_bad_reference(kapstan: Run, bookstore: Path) -> None:
    kapstan("template", "import", bookstore)
    missing = kapstan("template", "show", "nope")
    assert (missing.code, missing.err.strip()) == (1, "error: template 'nope' not found")
    no_version = kapstan("template", "vars", "bookstore@7")
    assert "template 'bookstore' has no version 7 (latest is 1)" in no_version.err
    bad = kapstan("template", "show", "bookstore@latest")
    assert bad.code == 1 and "NAME@VERSION" in bad.err
