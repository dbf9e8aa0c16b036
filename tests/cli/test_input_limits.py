"""Hostile YAML through the local CLI: refused with a named error, nothing saved (#12).

The alias bomb (finding 2) took 41 s and 1.6 GB and was saved as a template version;
``manifests: 42`` and deep nesting (finding 8) printed Python tracebacks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kapstan.store import Store
from tests.cli.conftest import Run
from tests.hostile import (
    alias_bomb_compose,
    alias_bomb_manifest,
    deep_block,
    deep_flow,
    deep_manifest,
    merge_bomb,
    row_counts,
    template_files,
    write_template,
)

ALIASES = "aliases (*name) expand this YAML"
DEEP = "nested more than 100 levels deep"


def _db(tmp_path: Path) -> Path:
    return tmp_path / "kapstan.db"


def _refused(result_code: int, err: str, *says: str) -> None:
    assert result_code == 1, err
    assert "Traceback" not in err
    for text in says:
        assert text in err, err


@pytest.mark.timeout(60)
def test_template_import_refuses_the_alias_bomb_and_saves_no_version(
    kapstan: Run, tmp_path: Path, store: Callable[[], Store]
) -> None:
    folder = write_template(tmp_path / "bomb", template_files(alias_bomb_manifest()))
    assert kapstan("config", "set", "c", "a=1").code == 0  # the store exists
    before = row_counts(_db(tmp_path))
    result = kapstan("template", "import", folder)
    _refused(result.code, result.err, "cm.yaml:", ALIASES, "write the repeated content out")
    assert row_counts(_db(tmp_path)) == before
    assert store().list_templates() == []


@pytest.mark.timeout(60)
def test_import_compose_refuses_the_alias_bomb(kapstan: Run, tmp_path: Path) -> None:
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(alias_bomb_compose())
    assert kapstan("config", "set", "c", "a=1").code == 0  # the store exists
    result = kapstan("import", "compose", compose, "--name", "bomb")
    _refused(result.code, result.err, f"{compose}:", ALIASES)
    assert row_counts(_db(tmp_path))["template_versions"] == 0


@pytest.mark.timeout(60)
def test_import_manifests_refuses_the_alias_bomb(kapstan: Run, tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "cm.yaml").write_text(alias_bomb_manifest())
    assert kapstan("config", "set", "c", "a=1").code == 0  # the store exists
    result = kapstan("import", "manifests", folder, "--name", "bomb")
    _refused(result.code, result.err, "cm.yaml:", ALIASES)
    assert row_counts(_db(tmp_path))["template_versions"] == 0


@pytest.mark.timeout(60)
def test_config_import_refuses_a_merge_bomb_and_saves_no_version(
    kapstan: Run, tmp_path: Path
) -> None:
    """``<<:`` over a pyramid of merges: PyYAML's flattening alone is exponential."""
    file = tmp_path / "values.yaml"
    file.write_text(merge_bomb())
    assert kapstan("config", "set", "c", "a=1").code == 0
    before = row_counts(_db(tmp_path))
    result = kapstan("config", "import", "c", file)
    _refused(result.code, result.err, f"{file}:1:", ALIASES)
    assert row_counts(_db(tmp_path)) == before


@pytest.mark.parametrize("manifests", ["42", "true", "3.5", "''", "[1, true]", "[[a.yaml]]"])
def test_a_manifests_field_of_the_wrong_shape_is_named(
    kapstan: Run, tmp_path: Path, manifests: str
) -> None:
    top = f"name: shapes\nservices:\n  web:\n    manifests: {manifests}\n"
    folder = write_template(tmp_path / "t", template_files(deep_manifest(3), top))
    result = kapstan("template", "import", folder)
    _refused(result.code, result.err, "kapstan.yaml:4:", "service 'web' manifests must be")
    assert row_counts(_db(tmp_path))["template_versions"] == 0


@pytest.mark.parametrize(
    ("where", "files"),
    [
        ("cm.yaml:7:", template_files(deep_manifest(2_000))),  # RecursionError
        ("cm.yaml:7:", template_files(deep_manifest(200_000))),  # crashed the C composer
        (
            "kapstan.yaml:",
            template_files(
                deep_manifest(3),
                "name: deep\nservices:\n  web:\n    manifests: [cm.yaml]\nconfig:\n"
                + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(1_100))
                + " " * 1_101
                + "leaf: 1\n",
            ),
        ),
    ],
)
def test_deep_nesting_in_a_template_is_named(
    kapstan: Run, tmp_path: Path, where: str, files: dict[str, str]
) -> None:
    folder = write_template(tmp_path / "t", files)
    result = kapstan("template", "import", folder)
    _refused(result.code, result.err, where, DEEP)
    assert row_counts(_db(tmp_path))["template_versions"] == 0


@pytest.mark.parametrize("text", [f"a: {deep_flow(200_000)}\n", deep_block(1_100)])
def test_deep_nesting_in_a_config_file_is_named(kapstan: Run, tmp_path: Path, text: str) -> None:
    file = tmp_path / "values.yaml"
    file.write_text(text)
    result = kapstan("config", "import", "c", file)
    _refused(result.code, result.err, f"{file}:", DEEP)


@pytest.mark.parametrize("value", ["0b_", "0x_", deep_flow(300_000)])
def test_config_set_keeps_a_value_pyyaml_cannot_build_as_text(kapstan: Run, value: str) -> None:
    """``0b_`` resolves as an int PyYAML then fails to build; deep brackets crashed it."""
    assert kapstan("config", "set", "c", f"k={value}").code == 0
    assert kapstan("config", "get", "c", "-o", "json").json()["values"]["k"] == value


@pytest.mark.parametrize("volumes", ["[data]", "42", "true", "data"])
def test_compose_top_level_volumes_of_the_wrong_shape_is_named(
    kapstan: Run, tmp_path: Path, volumes: str
) -> None:
    """Found by the fuzz suite: ``dict(volumes)`` raised ValueError/TypeError."""
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(f"services:\n  web:\n    image: nginx\nvolumes: {volumes}\n")
    assert kapstan("config", "set", "c", "a=1").code == 0  # the store exists
    result = kapstan("import", "compose", compose, "--name", "shapes")
    _refused(result.code, result.err, f"{compose}:4: the top-level 'volumes' must be a mapping")
    assert row_counts(_db(tmp_path))["template_versions"] == 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize("door", ["template", "config", "compose"])
def test_a_huge_file_is_refused_by_its_size_without_being_read(
    kapstan: Run, tmp_path: Path, door: str
) -> None:
    """A sparse 4 GB file (no disk used): read whole, it would take 4 GB of memory."""
    huge = tmp_path / "t" / ("docker-compose.yml" if door == "compose" else "cm.yaml")
    write_template(tmp_path / "t", template_files("apiVersion: v1\n"))
    with huge.open("wb") as file:
        file.truncate(4 * 1024**3)
    assert kapstan("config", "set", "c", "a=1").code == 0
    argv = {
        "template": ("template", "import", tmp_path / "t"),
        "config": ("config", "import", "c", huge),
        "compose": ("import", "compose", huge),
    }[door]
    result = kapstan(*argv)
    _refused(result.code, result.err, "larger than 1048576 bytes")
