"""``kapstan login|logout|whoami``: a saved token per server, used when no --token is given."""

from __future__ import annotations

import io
import stat

import pytest

from kapstan.client.credentials import credentials_file, saved_entry
from tests.remote.conftest import Cli, Result, Server

PASSWORD = "a-long-enough-password"


@pytest.fixture(scope="module")
def lena(server: Server) -> str:
    with server.store() as store:
        store.create_user("lena", password=PASSWORD, admin=False)
        store.grant_role("lena", "dev", "deployer")
    return "lena"


def login(cli: Cli, monkeypatch: pytest.MonkeyPatch, user: str, password: str) -> Result:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return cli.capture(["login", cli.server.url, "--user", user, "--password-stdin"])


def test_login_saves_a_token_the_next_commands_use(
    cli: Cli, lena: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = login(cli, monkeypatch, lena, PASSWORD)
    assert done.code == 0, done.err
    assert f"logged in to {cli.server.url} as lena" in done.out
    saved = saved_entry(cli.server.url)
    assert saved is not None and saved.user == "lena" and saved.token_id is not None
    assert PASSWORD not in credentials_file().read_text()
    assert stat.S_IMODE(credentials_file().stat().st_mode) == 0o600

    listed = cli.capture(["--server", cli.server.url, "env", "list", "-o", "json"])
    assert listed.code == 0, listed.err
    assert [e["name"] for e in listed.json()] == ["dev"]  # lena's view, not root's

    me = cli.capture(["--server", cli.server.url, "whoami", "-o", "json"])
    assert me.json() == {
        "user": "lena",
        "admin": False,
        "server": cli.server.url,
        "roles": {"dev": "deployer"},
    }

    out = cli.capture(["--server", cli.server.url, "logout"])
    assert out.code == 0 and saved_entry(cli.server.url) is None
    # The token is revoked on the server, not just forgotten here.
    again = cli.capture(["--server", cli.server.url, "--token", saved.token, "env", "list"])
    assert again.code == 1 and "token" in again.err.lower()


def test_a_wrong_password_saves_nothing(
    cli: Cli, lena: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = login(cli, monkeypatch, lena, "not-the-password")
    assert failed.code == 1
    assert saved_entry(cli.server.url) is None


def test_whoami_needs_a_server(cli: Cli) -> None:
    result = cli.capture(["whoami"])
    assert result.code == 1 and "--server" in result.err


def test_a_token_on_the_command_line_wins_over_the_saved_one(
    cli: Cli, lena: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert login(cli, monkeypatch, lena, PASSWORD).code == 0
    me = cli.remote("whoami", "-o", "json", user="vic")
    assert me.json()["user"] == "vic"
    cli.capture(["--server", cli.server.url, "logout"])


def test_users_are_made_and_granted_through_the_server(cli: Cli) -> None:
    made = cli.remote("user", "create", "tess", "--no-password")
    assert made.code == 0, made.err
    assert made.out == "user tess created\n"
    granted = cli.remote("user", "grant", "tess", "dev", "viewer")
    assert granted.code == 0 and granted.out == "user tess is viewer in environment dev\n"
    with cli.server.store() as store:
        assert store.roles_of("tess") == {"dev": "viewer"}
        entry = next(
            e for e in store.list_audit() if e.action == "user.create" and e.name == "tess"
        )
        assert entry.actor == "root"  # the token's user, not $KAPSTAN_USER
    bad = cli.remote("user", "grant", "tess", "dev", "owner")
    assert bad.code == 1 and "role" in bad.err


def test_a_viewer_cannot_make_users(cli: Cli) -> None:
    refused = cli.remote("user", "create", "mallory", "--no-password", user="vic")
    assert refused.code == 1 and "administrator" in refused.err
    with cli.server.store() as store:
        assert "mallory" not in {u.name for u in store.list_users()}


def test_tokens_through_a_server_are_only_for_yourself(cli: Cli) -> None:
    own = cli.remote("user", "token", "vic", user="vic")
    assert own.code == 0 and own.out.startswith("kst_")
    other = cli.remote("user", "token", "root", user="vic")
    assert other.code == 1 and "only make tokens for yourself" in other.err
