"""``kapstan config`` through a server: same output as local, secrets stay secret, the
server's checks apply and a refused or failed change writes nothing.

Each test works on its own config names: the module's server and store are shared.
Config ``team`` is used by environment dev (through app ``team-app``): vic is a viewer
there, dana a deployer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.model.values import SecretValue
from kapstan.templates.content import template_digest
from kapstan.templates.loader import read_template_dir
from tests.cli.conftest import FIXTURES
from tests.remote.conftest import Cli, Result, Server

FORMATS = ("table", "json", "yaml")
SECRETS = ("pl41n-t3xt-pw", "an0ther-pw")


def _ok(result: Result) -> Result:
    assert result.code == 0, result.err
    return result


def _same(cli: Cli, *args: str | Path) -> Result:
    local, remote = cli.both(*args)
    assert local.code == remote.code, (local.err, remote.err)
    assert remote.out == local.out
    assert remote.err == local.err
    return remote


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert not any(secret in text for secret in SECRETS), text


def _versions(server: Server, name: str) -> list[int]:
    with server.store() as store:
        return [v.version for v in store.config_history(name)]


@pytest.fixture(scope="module")
def team(server: Server) -> str:
    """Config ``team`` (v1: a=1), used by environment dev through app ``team-app``."""
    files = read_template_dir(FIXTURES / "bookstore")
    with server.store() as store:
        store.create_config("team", {"a": 1}, author="setup")
        store.save_template_version("team-tpl", files, template_digest(files), author="setup")
        store.create_application(
            "team-app",
            template="team-tpl",
            template_version=1,
            environment="dev",
            config="team",
            config_version=None,
        )
    return "team"


def _shop(cli: Cli) -> None:
    """Config ``shop`` written through the server (once): 5 versions, a secret changed."""
    if cli.local("config", "get", "shop").code == 0:
        return
    steps = [
        (
            "set",
            "shop",
            "web.host=shop.example.com",
            "catalog.replicas=2",
            "ratio=0.5",
            "flag=true",
            "empty=",
            "tag='007'",
            "-m",
            "first",
        ),
        ("set", "shop", "--secret", f"db.password={SECRETS[0]}", "-m", "pw"),
        ("unset", "shop", "flag", "-m", "drop flag"),
        ("set", "shop", "catalog.replicas=3"),
        ("set", "shop", "--secret", f"db.password={SECRETS[1]}"),
    ]
    for step in steps:
        _ok(cli.remote("config", *step))


def test_set_through_the_server_is_made_by_the_caller(cli: Cli, server: Server) -> None:
    made = cli.remote("config", "set", "made", "replicas=3", "debug=true", "-m", "why")
    assert (made.code, made.out, made.err) == (0, "config made: version 1 saved\n", "")
    again = cli.remote("config", "set", "made", "replicas=3")
    assert (again.code, again.out) == (0, "config made: unchanged, still version 1\n")
    with server.store() as store:
        latest = store.get_config("made")
    assert dict(latest.values) == {"replicas": 3, "debug": True}
    assert (latest.author, latest.message) == ("root", "why")
    local = _ok(cli.local("config", "set", "made", "replicas=4"))
    assert local.out == "config made: version 2 saved\n"
    history = _ok(cli.remote("config", "history", "made", "-o", "json")).json()
    assert [h["author"] for h in history] == ["root", "local-op"]


def test_secrets_are_stored_as_secrets_and_never_printed(cli: Cli, server: Server) -> None:
    _shop(cli)
    with server.store() as store:
        value = store.get_config("shop").values["db.password"]
        first = store.get_config("shop", 2).values["db.password"]
    assert isinstance(value, SecretValue) and value.reveal() == SECRETS[1]
    assert isinstance(first, SecretValue) and first.reveal() == SECRETS[0]
    for fmt in FORMATS:
        got = _same(cli, "config", "get", "shop", "-o", fmt)
        key = _same(cli, "config", "get", "shop", "db.password", "-o", fmt)
        diff = _same(cli, "config", "diff", "shop", "1", "5", "-o", fmt)
        changed = _same(cli, "config", "diff", "shop", "4", "5", "-o", fmt)
        assert "<redacted>" in got.out + key.out + diff.out + changed.out
        _no_secret(got.out, key.out, diff.out, changed.out)
    table = _ok(cli.remote("config", "get", "shop")).out
    assert any(line.split() == ["db.password", "<redacted>", "yes"] for line in table.splitlines())
    changed_text = _ok(cli.remote("config", "diff", "shop", "4", "5")).out
    assert changed_text == "~ db.password: <redacted> -> <redacted>  (secret changed)\n"


def test_a_key_turned_secret_shows_only_its_plain_side(cli: Cli) -> None:
    _ok(cli.remote("config", "set", "mixed", "k=plain-before"))
    _ok(cli.remote("config", "set", "mixed", "--secret", f"k={SECRETS[0]}"))
    for fmt in FORMATS:
        for old, new in (("1", "2"), ("2", "1")):
            shown = _same(cli, "config", "diff", "mixed", old, new, "-o", fmt)
            assert "plain-before" in shown.out and "<redacted>" in shown.out
            _no_secret(shown.out)
    table = _ok(cli.remote("config", "diff", "mixed", "1", "2")).out
    assert table == "~ k: plain-before -> <redacted>  (secret changed)\n"


@pytest.mark.parametrize("fmt", FORMATS)
def test_reads_print_the_same_either_way(cli: Cli, fmt: str) -> None:
    _shop(cli)
    listed = _same(cli, "config", "list", "-o", fmt)
    assert "shop" in listed.out
    history = _same(cli, "config", "history", "shop", "-o", fmt)
    assert "drop flag" in history.out and "-flag" in history.out
    for args in (
        ("shop",),
        ("shop@1",),
        ("shop@3",),
        ("shop", "catalog.replicas"),
        ("shop@1", "tag"),
        ("shop", "empty"),
        ("shop", "ratio"),
    ):
        _same(cli, "config", "get", *args, "-o", fmt)
    for old, new in (("1", "3"), ("3", "1"), ("2", "2"), ("1", "5")):
        _same(cli, "config", "diff", "shop", old, new, "-o", fmt)


def test_history_and_list_count_keys_without_fetching_values(cli: Cli) -> None:
    _shop(cli)
    history = _ok(cli.remote("config", "history", "shop", "-o", "json")).json()
    assert [(h["version"], h["keys"], h["changes"]) for h in history] == [
        (1, 6, "+catalog.replicas +empty +flag +ratio +tag +web.host"),
        (2, 7, "+db.password"),
        (3, 6, "-flag"),
        (4, 6, "~catalog.replicas"),
        (5, 6, "~db.password"),
    ]
    listed = _ok(cli.remote("config", "list", "-o", "json")).json()
    shop = next(c for c in listed if c["name"] == "shop")
    assert (shop["version"], shop["keys"]) == (5, 6)


def _steps(name: str, files: Path) -> list[tuple[str, ...]]:
    (files / "add.yaml").write_text("catalog.replicas: 5\nweb.host: a.example.com\n")
    (files / "whole.yaml").write_text("only: 1\nweb.host: b.example.com\n")
    (files / "empty.yaml").write_text("")
    return [
        ("set", name, "a=1", "b=x", "-m", "start"),
        ("set", name, "a=1"),  # unchanged
        ("set", name, "--secret", f"pw={SECRETS[0]}"),
        ("unset", name, "b"),
        ("import", name, str(files / "add.yaml")),
        ("import", name, str(files / "add.yaml")),  # unchanged
        ("import", name, str(files / "whole.yaml"), "--replace", "-m", "whole"),
        ("import", name, str(files / "empty.yaml")),  # unchanged
        ("rollback", name, "3"),
        ("rollback", name, "3"),  # unchanged: the latest equals version 3 already
        ("import", name, str(files / "empty.yaml"), "--replace"),
        ("rollback", name, "1", "-m", "back to the start"),
    ]


def test_every_write_prints_and_stores_the_same_either_way(
    cli: Cli, server: Server, tmp_path: Path
) -> None:
    for local_step, remote_step in zip(
        _steps("twin-l", tmp_path), _steps("twin-r", tmp_path), strict=True
    ):
        local = cli.local("config", *local_step)
        remote = cli.remote("config", *remote_step)
        assert (remote.code, remote.err) == (local.code, local.err) == (0, ""), remote_step
        assert remote.out == local.out.replace("twin-l", "twin-r"), remote_step
    for ref in ("@1", "@4", "@6", ""):  # the values; authors and times differ
        local = _ok(cli.local("config", "get", f"twin-l{ref}"))
        remote = _ok(cli.local("config", "get", f"twin-r{ref}"))
        assert remote.out == local.out.replace("twin-l", "twin-r")
        _no_secret(local.out, remote.out)
        local_json = _ok(cli.local("config", "get", f"twin-l{ref}", "-o", "json")).json()
        remote_json = _ok(cli.local("config", "get", f"twin-r{ref}", "-o", "json")).json()
        assert remote_json["values"] == local_json["values"]
    assert _versions(server, "twin-r") == list(range(1, 9))
    with server.store() as store:
        authors = {v.author for v in store.config_history("twin-r")}
        rolled = store.get_config("twin-r", 6)
    assert authors == {"root"}
    assert rolled.message == "rollback to version 3"
    assert (
        isinstance(rolled.values["pw"], SecretValue) and rolled.values["pw"].reveal() == SECRETS[0]
    )


def test_import_replace_is_one_new_version(cli: Cli, server: Server, tmp_path: Path) -> None:
    _ok(cli.remote("config", "set", "whole", "a=1", "b=2", "c=3"))
    file = tmp_path / "whole.yaml"
    file.write_text("b: 20\nd: 4\n")
    replaced = _ok(cli.remote("config", "import", "whole", file, "--replace"))
    assert replaced.out == "config whole: version 2 saved\n"
    with server.store() as store:
        assert dict(store.get_config("whole").values) == {"b": 20, "d": 4}
    assert _versions(server, "whole") == [1, 2]


def test_an_empty_file_makes_an_empty_config_either_way(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    local = _ok(cli.local("config", "import", "blank-l", empty))
    remote = _ok(cli.remote("config", "import", "blank-r", empty))
    assert (local.out, remote.out) == (
        "config blank-l: version 1 saved\n",
        "config blank-r: version 1 saved\n",
    )
    assert _ok(cli.remote("config", "get", "blank-r", "-o", "json")).json()["values"] == {}


@pytest.mark.parametrize(
    "args",
    [
        ("get", "nope"),
        ("get", "shop@9"),
        ("get", "shop", "no.such.key"),
        ("get", "shop@0"),
        ("history", "nope"),
        ("diff", "shop", "1", "9"),
        ("diff", "nope", "1", "2"),
        ("unset", "shop", "catalog.replicas", "zzz"),
        ("unset", "nope", "a"),
        ("set", "shop", "novalue"),
        ("set", "shop", "a b=1"),
        ("set", "shop", "a=1", "a=2"),
        ("set", "Bad_Name", "a=1"),
        ("rollback", "shop", "9"),
        ("rollback", "nope", "1"),
        ("diff", "shop", "one", "2"),
    ],
)
def test_errors_are_the_same_and_write_nothing(
    cli: Cli, server: Server, args: tuple[str, ...]
) -> None:
    _shop(cli)
    local, remote = cli.both("config", *args)
    assert local.code == remote.code != 0
    assert remote.err == local.err and remote.out == local.out == ""
    assert _versions(server, "shop") == [1, 2, 3, 4, 5]
    with server.store() as store:
        assert "Bad_Name" not in [c.name for c in store.list_configs()]


def test_bad_files_fail_naming_the_line_and_send_nothing(
    cli: Cli, server: Server, tmp_path: Path
) -> None:
    nested = tmp_path / "nested.yaml"
    nested.write_text("a: 1\ncatalog:\n  replicas: 3\n")
    missing = tmp_path / "missing.yaml"
    for file, expected in (
        (nested, f"{nested}:2:1: key 'catalog' holds a map"),
        (missing, "cannot read"),
    ):
        for replace in ((), ("--replace",)):
            local, remote = cli.both("config", "import", "from-file", file, *replace)
            assert local.code == remote.code == 1
            assert remote.err == local.err and expected in remote.err
    with server.store() as store:
        assert "from-file" not in [c.name for c in store.list_configs()]


@pytest.mark.parametrize(
    "args",
    [
        ("set", "team", "a=2"),
        ("set", "team", "--secret", f"pw={SECRETS[0]}"),
        ("unset", "team", "a"),
        ("import", "team", "FILE"),
        ("import", "team", "FILE", "--replace"),
        ("rollback", "team", "1"),
    ],
)
def test_a_viewer_cannot_change_a_config_of_their_environment(
    cli: Cli, server: Server, team: str, tmp_path: Path, args: tuple[str, ...]
) -> None:
    file = tmp_path / "team.yaml"
    file.write_text("a: 5\n")
    argv = [str(file) if a == "FILE" else a for a in args]
    before = _versions(server, team)
    refused = cli.remote("config", *argv, user="vic")
    assert refused.code == 1 and refused.out == ""
    assert "vic" in refused.err and "dev" in refused.err
    _no_secret(refused.err)
    assert _versions(server, team) == before
    # Reading it is allowed: vic views dev.
    assert _ok(cli.remote("config", "get", team, user="vic")).out.startswith(f"config {team} ")


def test_a_deployer_changes_a_config_of_their_environment(
    cli: Cli, server: Server, team: str
) -> None:
    before = _versions(server, team)[-1]
    made = _ok(cli.remote("config", "set", team, f"dana.was.here={before}", user="dana"))
    assert made.out == f"config {team}: version {before + 1} saved\n"
    rolled = _ok(cli.remote("config", "rollback", team, str(before), user="dana"))
    assert rolled.out == f"config {team}: version {before + 2} saved\n"
    with server.store() as store:
        assert [v.author for v in store.config_history(team)][-2:] == ["dana", "dana"]


def test_a_viewer_cannot_make_or_change_a_config_no_environment_uses(
    cli: Cli, server: Server
) -> None:
    _ok(cli.remote("config", "set", "loose", "a=1"))
    for args in (("set", "loose", "a=2"), ("rollback", "loose", "1")):
        refused = cli.remote("config", *args, user="vic")
        assert refused.code == 1 and "'loose' is used by no environment" in refused.err
    made = cli.remote("config", "set", "new-by-vic", "a=1", user="vic")
    assert made.code == 1
    assert "creating config 'new-by-vic' needs an administrator" in made.err and "vic" in made.err
    assert _versions(server, "loose") == [1]
    with server.store() as store:
        assert "new-by-vic" not in [c.name for c in store.list_configs()]


def test_a_viewer_lists_only_the_configs_they_may_view(cli: Cli, team: str) -> None:
    listed = _ok(cli.remote("config", "list", "-o", "json", user="vic")).json()
    assert team in [c["name"] for c in listed]
