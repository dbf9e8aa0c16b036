"""``kapstan audit list|export``: the same records from the store and from the server."""

from __future__ import annotations

import json

from tests.remote.conftest import Cli


def test_list_and_export_are_the_same_either_way(cli: Cli) -> None:
    assert cli.remote("user", "create", "audited", "--no-password").code == 0
    for fmt in ("table", "json"):
        local, remote = cli.both("audit", "list", "--limit", "5", "-o", fmt)
        assert local.code == remote.code == 0, remote.err
        assert remote.out == local.out
    newest = cli.remote("audit", "list", "--limit", "1", "-o", "json").json()[0]
    assert (newest["actor"], newest["action"], newest["name"]) == ("root", "user.create", "audited")
    local, remote = cli.both("audit", "export")
    assert remote.out == local.out
    lines = [json.loads(line) for line in remote.out.splitlines()]
    assert lines and [e["id"] for e in lines] == sorted(e["id"] for e in lines)  # oldest first


def test_filters_narrow_the_list(cli: Cli) -> None:
    cli.remote("user", "create", "filtered", "--no-password")
    found = cli.remote("audit", "list", "--name", "filtered", "-o", "json").json()
    assert [e["action"] for e in found] == ["user.create"]
    assert cli.local("audit", "list", "--name", "filtered", "-o", "json").json() == found


def test_a_viewer_reads_only_an_environment_and_never_exports(cli: Cli) -> None:
    whole = cli.remote("audit", "list", user="vic")
    assert whole.code == 1 and "administrator" in whole.err
    own = cli.remote("audit", "list", "--env", "dev", user="vic")
    assert own.code == 0, own.err
    export = cli.remote("audit", "export", user="vic")
    assert export.code == 1 and "administrator" in export.err
