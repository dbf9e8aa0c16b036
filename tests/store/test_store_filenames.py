"""File names that reach the store (#12 finding 5): one rule, refused before any row, and
every accepted name round-trips through the store (SQLite and PostgreSQL) and an export.
"""

from __future__ import annotations

import posixpath
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kapstan.errors import ConflictError, InputError, TemplateError
from kapstan.model.filenames import MAX_NAME_BYTES, check_file_name, shown
from kapstan.store import Store
from kapstan.templates.content import template_digest
from kapstan.templates.exporter import export_template_dir

BAD_NAMES = {
    "x\x00.yaml": "control character U+0000",
    "a\nb.yaml": "control character U+000A",
    "esc\x1b[31m.yaml": "control character U+001B",
    "rtl\u202egnp.yaml": "control character U+202E",
    "../up.yaml": "must be relative",
    "a/../../b.yaml": "must be relative",
    "/etc/passwd": "must be relative",
    "a\\b.yaml": "backslashes are refused",
    "": "not empty",
    ".": "must name a file",
    "a//b.yaml": "normal form",
    "./a.yaml": "normal form",
    "a/": "normal form",
    "a" * 256: "longer than 255 bytes",
    "/".join(["d" * 200] * 6): f"the limit is {MAX_NAME_BYTES}",
}


@pytest.mark.parametrize("name", list(BAD_NAMES), ids=[repr(n)[:30] for n in BAD_NAMES])
def test_a_bad_file_name_is_refused_naming_it_and_nothing_is_written(
    store: Store, name: str
) -> None:
    files = {"kapstan.yaml": "name: shop\n", name: "x: 1\n"}
    with pytest.raises(InputError) as err:
        store.save_template_version("shop", files, template_digest(files), author="ana")
    assert BAD_NAMES[name] in str(err.value)
    assert str(err.value).startswith("template 'shop': ")
    assert "\x00" not in str(err.value) and "\n" not in str(err.value)
    assert store.list_templates() == []


def test_a_file_that_is_also_a_folder_is_refused(store: Store) -> None:
    files = {"a": "1", "a/b.yaml": "2"}
    with pytest.raises(
        InputError, match="a is a file of the template, so it cannot also be a folder"
    ):
        store.save_template_version("shop", files, template_digest(files), author="ana")
    assert store.list_templates() == []


# Random text, and paths built from the parts that make trouble.
_PARTS = st.sampled_from(
    ["a", "b.yaml", "..", ".", "", "x\x00", "\t", "\\", "é", "\u202e", "\ud800", " ", "~", "*"]
)
NAMES = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.lists(st.one_of(_PARTS, st.text(max_size=8)), min_size=1, max_size=6).map("/".join),
)


def _safe(name: str) -> bool:
    parts = name.split("/")
    return (
        bool(name)
        and not name.startswith("/")
        and "\\" not in name
        and all(part not in ("", ".", "..") for part in parts)
        and posixpath.normpath(name) == name
        and all(unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in name)
        and all(len(p.encode("utf-8")) <= 255 for p in parts)
    )


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=NAMES)
def test_any_file_name_is_accepted_safe_or_refused_by_name_and_round_trips(
    store: Store, tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    try:
        accepted = check_file_name(name)
    except TemplateError as err:
        event("refused")
        assert not _safe(name) or len(name.encode("utf-8")) > MAX_NAME_BYTES, name
        assert str(err).startswith((shown(name), shown(name[:40]))), str(err)
        with pytest.raises(InputError):  # the store refuses it too, whoever calls it
            store.save_template_version("fuzz", {name: "x"}, "d", author="fuzz")
        return
    event("accepted")
    assert accepted == name and _safe(name), name
    files = {name: f"content of {name!r}\n"}
    saved, _ = store.save_template_version("fuzz", files, template_digest(files), author="fuzz")
    assert store.get_template("fuzz", saved.version).files == files
    target = tmp_path_factory.mktemp("export") / "out"
    export_template_dir(files, target)
    written = [p for p in target.rglob("*") if p.is_file()]
    assert [p.relative_to(target).as_posix() for p in written] == [name]
    assert written[0].read_text(encoding="utf-8") == files[name]


def test_export_staging_leaves_nothing_when_the_target_is_taken(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep").write_text("mine")
    with pytest.raises(ConflictError, match="not empty"):
        export_template_dir({"a.yaml": "1"}, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep"]
