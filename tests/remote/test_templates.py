"""``kapstan template`` through a server: same output as local, the server's checks apply.

Each test works on its own template name: the module's server and store are shared.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import FIXTURES
from tests.remote.conftest import Cli, Result

BOOKSTORE = FIXTURES / "bookstore"
FORMATS = ("table", "json", "yaml")


def _ok(result: Result) -> Result:
    assert result.code == 0, result.err
    return result


def _same(cli: Cli, *args: str | Path) -> Result:
    local, remote = cli.both(*args)
    assert local.code == remote.code == 0, (local.err, remote.err)
    assert remote.out == local.out
    assert remote.err == local.err
    return remote


def _named(folder: Path, name: str) -> Path:
    """A copy of the bookstore template named ``name`` in its kapstan.yaml (its one name)."""
    shutil.copytree(BOOKSTORE, folder)
    top = folder / "kapstan.yaml"
    top.write_text(top.read_text().replace("name: bookstore\n", f"name: {name}\n", 1))
    return folder


def _import_two(cli: Cli, tmp_path: Path, name: str) -> None:
    """Template ``name`` with two versions imported through the server by root (once)."""
    if cli.local("template", "show", name).code == 0:
        return
    _ok(cli.remote("template", "import", _named(tmp_path / "first", name), "-m", "first"))
    changed = _named(tmp_path / "changed", name)
    web = changed / "services" / "web.yaml"
    web.write_text(web.read_text() + "# v2\n")
    _ok(cli.remote("template", "import", changed, "--name", name, "-m", "second"))


def test_import_through_the_server_is_made_by_the_caller(cli: Cli, tmp_path: Path) -> None:
    folder = _named(tmp_path / "made", "made")
    made = cli.remote("template", "import", folder, "--name", "made", "-m", "hello")
    assert (made.code, made.out, made.err) == (0, "template made: version 1 saved\n", "")
    again = cli.remote("template", "import", folder)
    assert (again.code, again.out) == (0, "template made: unchanged, still version 1\n")
    # The same content imported locally is unchanged too: the server kept it byte for byte.
    local = cli.local("template", "import", folder)
    assert local.out == "template made: unchanged, still version 1\n"
    history = _ok(cli.local("template", "history", "made", "-o", "json")).json()
    assert [(h["version"], h["author"], h["message"]) for h in history] == [(1, "root", "hello")]


def test_the_name_comes_from_kapstan_yaml_by_default(cli: Cli) -> None:
    made = _ok(cli.remote("template", "import", BOOKSTORE))
    assert made.out == "template bookstore: version 1 saved\n"
    names = [t["name"] for t in _ok(cli.local("template", "list", "-o", "json")).json()]
    assert "bookstore" in names


def test_a_local_import_keeps_the_local_author(cli: Cli, tmp_path: Path) -> None:
    _ok(cli.local("template", "import", _named(tmp_path / "by-hand", "by-hand")))
    history = _ok(cli.remote("template", "history", "by-hand", "-o", "json")).json()
    assert [h["author"] for h in history] == ["local-op"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_history_show_and_vars_print_the_same_either_way(
    cli: Cli, tmp_path: Path, fmt: str
) -> None:
    _import_two(cli, tmp_path, "tpl")
    listed = _same(cli, "template", "list", "-o", fmt)
    assert "tpl" in listed.out
    history = _same(cli, "template", "history", "tpl", "-o", fmt)
    assert "second" in history.out and "first" in history.out
    for ref in ("tpl", "tpl@1"):
        shown = _same(cli, "template", "show", ref, "-o", fmt)
        assert "services/catalog.yaml" in shown.out
        variables = _same(cli, "template", "vars", ref, "-o", fmt)
        assert "web.host" in variables.out and "38" in variables.out


def test_show_as_json_has_the_bindings_and_files(cli: Cli, tmp_path: Path) -> None:
    _import_two(cli, tmp_path, "tpl")
    shown = _ok(cli.remote("template", "show", "tpl@2", "-o", "json")).json()
    assert shown["version"] == 2 and shown["author"] == "root" and shown["message"] == "second"
    catalog = shown["services"][1]
    assert catalog["env"] == [
        {"key": "catalog.log-level", "name": "CATALOG_LOG_LEVEL"},
        {"key": "db.password", "name": "DB_PASSWORD"},
    ]
    assert shown["files"] == [
        "kapstan.yaml",
        "services/catalog.yaml",
        "services/postgres.yaml",
        "services/web.yaml",
    ]


def test_export_writes_the_versions_files(cli: Cli, tmp_path: Path) -> None:
    _import_two(cli, tmp_path, "tpl")
    remote_dir, local_dir = tmp_path / "remote", tmp_path / "local"
    exported = _ok(cli.remote("template", "export", "tpl@1", remote_dir))
    assert exported.out == f"template tpl version 1: 4 files written to {remote_dir}\n"
    local = _ok(cli.local("template", "export", "tpl@1", local_dir))
    assert local.out == exported.out.replace(str(remote_dir), str(local_dir))
    first = _named(tmp_path / "v1", "tpl")
    for path in first.rglob("*"):
        if path.is_file():
            rel = path.relative_to(first)
            assert (remote_dir / rel).read_bytes() == path.read_bytes()
            assert (local_dir / rel).read_bytes() == path.read_bytes()
    latest = _ok(cli.remote("template", "export", "tpl", tmp_path / "latest"))
    assert "version 2" in latest.out
    assert (tmp_path / "latest" / "services" / "web.yaml").read_text().endswith("# v2\n")


def test_export_into_a_used_directory_is_refused_the_same_way(cli: Cli, tmp_path: Path) -> None:
    _import_two(cli, tmp_path, "tpl")
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine\n")
    local, remote = cli.both("template", "export", "tpl", used)
    assert local.code == remote.code == 1
    assert remote.err == local.err and "not empty" in remote.err
    assert sorted(p.name for p in used.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("template", "show", "nope"), 1),
        (("template", "show", "tpl@9"), 1),
        (("template", "vars", "nope@2"), 1),
        (("template", "history", "nope"), 1),
        (("template", "show", "tpl@0"), 1),
        (("template", "export", "nope", "x-dir"), 1),
    ],
)
def test_errors_are_the_same_with_the_same_exit_code(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], code: int
) -> None:
    _import_two(cli, tmp_path, "tpl")
    local, remote = cli.both(*args)
    assert local.code == remote.code == code
    assert remote.err == local.err and remote.err.startswith("error: ")
    assert not (Path.cwd() / "x-dir").exists()


def test_a_bad_template_fails_naming_the_file_and_sends_nothing(cli: Cli, tmp_path: Path) -> None:
    broken = _named(tmp_path / "broken", "broken")
    web = broken / "services" / "web.yaml"
    web.write_text(
        web.read_text().replace("  replicas: ${web.replicas:-2}\n", "  replicas: [oops\n")
    )
    local, remote = cli.both("template", "import", broken, "--name", "broken")
    assert local.code == remote.code == 1
    assert remote.err == local.err and "services/web.yaml:7:11: YAML syntax error" in remote.err
    assert cli.local("template", "show", "broken").code == 1  # nothing was saved


def test_a_viewer_cannot_import_and_is_told_why(cli: Cli, tmp_path: Path) -> None:
    refused = cli.remote("template", "import", _named(tmp_path / "v", "by-vic"), user="vic")
    assert refused.code == 1 and refused.out == ""
    assert "vic" in refused.err and "deployer" in refused.err
    assert cli.local("template", "show", "by-vic").code == 1
    # Reading templates needs no role in particular.
    assert _ok(cli.remote("template", "list", user="vic")).out


def test_a_deployer_imports(cli: Cli, tmp_path: Path) -> None:
    made = _ok(cli.remote("template", "import", _named(tmp_path / "d", "by-dana"), user="dana"))
    assert made.out == "template by-dana: version 1 saved\n"
    history = _ok(cli.local("template", "history", "by-dana", "-o", "json")).json()
    assert history[0]["author"] == "dana"


def test_a_name_other_than_kapstan_yaml_is_refused_the_same_way(cli: Cli) -> None:
    """One source of truth (#12 finding 9b): kapstan.yaml names the template."""
    local, remote = cli.both("template", "import", BOOKSTORE, "--name", "other")
    assert local.code == remote.code == 1
    assert remote.err == local.err
    assert "'other' differs from the name in kapstan.yaml ('bookstore')" in remote.err
    assert cli.local("template", "show", "other").code == 1
