from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.errors import TemplateError
from kapstan.templates.content import MAX_FILE_BYTES, template_digest
from kapstan.templates.exporter import write_template_dir
from kapstan.templates.loader import load_template_dir, read_template_dir
from tests.unit.samples import bookstore_files, deployment, one_service


def test_round_trip_import_export_import(tmp_path: Path) -> None:
    files = bookstore_files()
    write_template_dir(files, tmp_path / "one")
    (tmp_path / "one" / "README.md").write_text("not a manifest\n")
    read = read_template_dir(tmp_path / "one")
    assert read == files  # only kapstan.yaml and matched manifests are content
    write_template_dir(read, tmp_path / "two")
    again = read_template_dir(tmp_path / "two")
    assert again == files
    assert template_digest(again) == template_digest(files)
    assert load_template_dir(tmp_path / "two").digest == template_digest(files)


def test_export_keeps_bytes_exactly(tmp_path: Path) -> None:
    files = one_service(deployment() + "# café\r\n")
    write_template_dir(files, tmp_path)
    assert (tmp_path / "app.yaml").read_bytes() == files["app.yaml"].encode("utf-8")
    assert read_template_dir(tmp_path) == files


def test_export_refuses_bad_content_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"bad\.yaml: binary file"):
        write_template_dir({"a.yaml": "ok", "bad.yaml": "\x00"}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_kapstan_yaml(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"no kapstan\.yaml found"):
        read_template_dir(tmp_path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"apiVersion: v1\x00", "app.yaml: binary file (contains NUL bytes)"),
        (b"name: caf\xe9\n", "app.yaml: not UTF-8 text (byte 9)"),
        (b"a" * (MAX_FILE_BYTES + 1), f"app.yaml: file larger than {MAX_FILE_BYTES} bytes"),
    ],
)
def test_bad_files_on_disk_are_named(tmp_path: Path, data: bytes, message: str) -> None:
    write_template_dir(one_service(deployment()), tmp_path)
    (tmp_path / "app.yaml").write_bytes(data)
    with pytest.raises(TemplateError) as err:
        read_template_dir(tmp_path)
    assert str(err.value).startswith(message)


def test_pattern_may_not_leave_the_directory(tmp_path: Path) -> None:
    (tmp_path / "kapstan.yaml").write_text("name: t\nservices:\n  a: {manifests: [../x.yaml]}\n")
    with pytest.raises(TemplateError, match=r"\.\./x\.yaml: template paths must be relative"):
        read_template_dir(tmp_path)


def test_yaml_error_in_kapstan_yaml_on_disk(tmp_path: Path) -> None:
    (tmp_path / "kapstan.yaml").write_text("name: t\nservices: [\n")
    with pytest.raises(TemplateError, match=r"^kapstan.yaml:3:1: YAML syntax error"):
        read_template_dir(tmp_path)
