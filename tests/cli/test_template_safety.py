"""Template folders and exports on disk (#12 findings 5 and 8): a symbolic link leaving the
folder is refused naming the link and its target; ``template export`` fails with a named
error and writes nothing, whatever the output folder is.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kapstan.store import Store
from tests.cli.conftest import Run

REPO = Path(__file__).resolve().parents[2]
ELSEWHERE = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\ndata: {k: v}\n"


def _outside_file(tmp_path: Path) -> Path:
    secret = tmp_path / "elsewhere" / "server-file.yaml"
    secret.parent.mkdir()
    secret.write_text(ELSEWHERE)
    return secret


@pytest.mark.parametrize("kind", ["relative", "absolute"])
def test_a_link_out_of_the_template_folder_is_refused_naming_it(
    kapstan: Run, bookstore: Path, tmp_path: Path, store: Callable[[], Store], kind: str
) -> None:
    secret = _outside_file(tmp_path)
    link = bookstore / "services" / "web.yaml"
    link.unlink()
    target = os.path.relpath(secret, link.parent) if kind == "relative" else str(secret)
    link.symlink_to(target)
    refused = kapstan("template", "import", bookstore)
    assert refused.code == 1, refused.out
    assert f"{link}: symbolic link to {target} leaves {bookstore}" in refused.err
    assert "Traceback" not in refused.err
    assert store().list_templates() == []


def test_a_link_inside_the_template_folder_is_followed(kapstan: Run, bookstore: Path) -> None:
    """The documented choice: links that stay inside the folder are read as their target."""
    web = bookstore / "services" / "web.yaml"
    (bookstore / "shared").mkdir()
    web.rename(bookstore / "shared" / "web.yaml")
    web.symlink_to("../shared/web.yaml")
    assert kapstan("template", "import", bookstore).code == 0


def _imported(kapstan: Run, bookstore: Path) -> None:
    assert kapstan("template", "import", bookstore).code == 0


def test_export_under_a_file_is_a_named_error_and_writes_nothing(
    kapstan: Run, bookstore: Path, tmp_path: Path
) -> None:
    _imported(kapstan, bookstore)
    (tmp_path / "afile").write_text("not a folder")
    before = sorted(p.name for p in tmp_path.iterdir())
    refused = kapstan("template", "export", "bookstore", tmp_path / "afile" / "out")
    assert refused.code == 1
    assert f"{tmp_path / 'afile' / 'out'}: cannot create the export folder" in refused.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/proc/kapstan-export", "/proc/kapstan-export: cannot create the export folder"),
        ("afile", "afile: exists and is not a directory"),
        ("full", "full: directory is not empty"),
    ],
)
def test_export_into_a_folder_that_cannot_take_it_is_named(
    kapstan: Run, bookstore: Path, tmp_path: Path, target: str, message: str
) -> None:
    _imported(kapstan, bookstore)
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep").write_text("mine")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    refused = kapstan("template", "export", "bookstore", tmp_path / target)
    assert refused.code == 1 and message in refused.err, refused.err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nope", "template 'nope' not found"),
        ("x\x01y", "template 'x\\x01y' not found"),
        ("bookstore@0", "the version must be a positive whole number"),
        ("bookstore@9", "has no version 9"),
    ],
)
def test_export_of_a_bad_name_is_a_named_error(
    kapstan: Run, bookstore: Path, tmp_path: Path, ref: str, message: str
) -> None:
    _imported(kapstan, bookstore)
    refused = kapstan("template", "export", ref, tmp_path / "out")
    assert refused.code == 1 and message in refused.err
    assert not (tmp_path / "out").exists()


def test_an_export_failing_half_way_leaves_nothing(
    kapstan: Run, bookstore: Path, tmp_path: Path, db_url: str
) -> None:
    """The file system refuses the last file (a file-size limit, set for the child process):
    the files written before it must not be left behind as a partial export."""
    (bookstore / "services" / "web.yaml").write_text(
        (bookstore / "services" / "web.yaml").read_text() + "#" * 200_000 + "\n"
    )
    _imported(kapstan, bookstore)
    out = tmp_path / "exports" / "new" / "out"  # "new" is made by the export, and removed
    out.parent.parent.mkdir()
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
        "from kapstan.cli.main import main\n"
        f"sys.exit(main(['template', 'export', 'bookstore', {str(out)!r}]))\n"
    )
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    assert limit[0] == resource.RLIM_INFINITY or limit[0] > 100_000
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 1, done.stderr
    assert f"{out}: cannot write the export: File too large" in done.stderr
    assert "Traceback" not in done.stderr
    assert list((tmp_path / "exports").iterdir()) == []
