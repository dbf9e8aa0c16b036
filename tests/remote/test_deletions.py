"""Deletes and revocations from the CLI, locally and through a server: the same commands, the
server's checks, the same refusals, and a deleted application's history still readable.

The applications here were never deployed, so deleting them reaches no cluster."""

from __future__ import annotations

from kapstan.store import Store
from tests.cli.conftest import FIXTURES
from tests.remote.conftest import Cli, Result


def _ok(result: Result) -> Result:
    assert result.code == 0, result.err
    return result


def _world(cli: Cli) -> None:
    _ok(cli.local("template", "import", FIXTURES / "bookstore"))
    _ok(cli.local("config", "set", "shop-dev", "web.host=shop.example.com", "db.password=pw"))
    for app in ("shop", "web"):
        _ok(
            cli.remote(
                "app",
                "create",
                app,
                "--template",
                "bookstore@1",
                "--env",
                "dev",
                "--config",
                "shop-dev",
            )
        )


def test_deletes_locally_and_through_the_server(cli: Cli) -> None:
    _world(cli)
    for run in (cli.local, cli.remote):
        asked = run("app", "delete", "shop")
        assert asked.code == 1
        assert asked.err.strip().endswith(
            "not deleting application 'shop' without confirmation: pass --yes "
            "(stdin is not a terminal)"
        )
    refused = cli.remote("app", "delete", "shop", "--yes", user="dana")
    assert refused.code == 1
    assert "user 'dana' may not delete in environment 'dev'" in refused.err

    for run, app in ((cli.remote, "shop"), (cli.local, "web")):
        done = _ok(run("app", "delete", app, "--yes"))
        assert done.out.startswith(
            f"deleting application {app} from environment dev (namespace dev, which stays): "
            "0 object(s)\n"
        )
        assert f"(delete) succeeded: application {app} deleted: 0 object(s) deleted" in done.out
        shown = run("app", "show", app)
        assert shown.code == 1
        assert f"application {app!r} not found (it was deleted at" in shown.err
        ops = _ok(run("app", "operations", app, "--deleted", "-o", "json"))
        assert '"kind": "delete"' in ops.out
    local, remote = (
        cli.local("app", "history", "shop", "--deleted"),
        cli.remote("app", "history", "shop", "--deleted"),
    )
    assert (local.code, remote.code) == (0, 0) and local.out == remote.out

    with cli.server.store() as store:
        actions = [(e.action, e.actor, e.details.get("via")) for e in store.list_audit(limit=50)]
    assert ("app.delete", "root", "api") in actions
    assert ("app.delete", "local-op", "cli") in actions


def test_in_use_refusals_name_the_users(cli: Cli) -> None:
    with cli.server.store() as store:
        if not store.list_applications():
            _ok(
                cli.remote(
                    "app",
                    "create",
                    "again",
                    "--template",
                    "bookstore@1",
                    "--env",
                    "dev",
                    "--config",
                    "shop-dev",
                )
            )
        users = ", ".join(a.name for a in store.list_applications())
    for run in (cli.local, cli.remote):
        env = run("env", "delete", "dev", "--yes")
        assert env.code == 1
        assert f"environment 'dev' is used by application(s) {users};" in env.err
        template = run("template", "delete", "bookstore@1", "--yes")
        assert f"version 1 of template 'bookstore' is used by application(s) {users};" in (
            template.err
        )
        config = run("config", "delete", "shop-dev", "--yes")
        assert f"config 'shop-dev' is used by application(s) {users};" in config.err


def test_disable_revoke_and_tokens(cli: Cli) -> None:
    _ok(cli.remote("user", "disable", "dana"))
    locked = cli.remote("app", "list", user="dana")
    assert locked.code == 1 and "invalid or revoked token" in locked.err
    assert _ok(cli.remote("user", "enable", "dana")).out == "user dana enabled\n"
    _ok(cli.remote("app", "list", user="dana"))

    assert _ok(cli.remote("user", "revoke", "vic", "dev")).out == (
        "user vic is no longer viewer in environment dev\n"
    )
    assert _ok(cli.local("user", "revoke", "vic", "dev")).out == (
        "user vic had no role in environment dev; nothing changed\n"
    )
    _ok(cli.local("user", "grant", "vic", "dev", "viewer"))

    listed = _ok(cli.remote("token", "list", "--all", "-o", "json")).out
    assert '"user": "vic"' in listed
    with Store.open(cli.server.db) as store:
        vic = store.list_tokens("vic")[0]
    revoked = _ok(cli.remote("token", "revoke", vic.prefix))
    assert revoked.out == f"token {vic.id} ({vic.prefix}…, of vic) revoked\n"
    gone = cli.remote("app", "list", user="vic")
    assert gone.code == 1 and "invalid or revoked token" in gone.err
    # A non-administrator sees only its own tokens, and may not list everyone's.
    assert '"user": "dana"' in _ok(cli.remote("token", "list", "-o", "json", user="dana")).out
    assert cli.remote("token", "list", "--all", user="dana").code == 1


def test_environment_delete_cascade(cli: Cli) -> None:
    with cli.server.store() as store:
        if not store.list_templates():
            _world(cli)
        for env in ("scratch-a", "scratch-b"):
            store.create_environment(
                env, kubeconfig=str(cli.server.kubeconfig), context=None, namespace=env, config=None
            )
    for run, env in ((cli.local, "scratch-a"), (cli.remote, "scratch-b")):
        _ok(
            run(
                "app",
                "create",
                f"{env}-app",
                "--template",
                "bookstore@1",
                "--env",
                env,
                "--config",
                "shop-dev",
            )
        )
        refused = run("env", "delete", env, "--yes")
        assert f"environment {env!r} is used by application(s) {env}-app;" in refused.err
        done = _ok(run("env", "delete", env, "--cascade", "--yes"))
        assert done.out.startswith(f"--cascade deletes application(s) {env}-app first\n")
        assert f"application {env}-app deleted (operation " in done.out
        assert done.out.endswith(f"environment {env} deleted; namespace {env} was left in place\n")
        assert run("env", "show", env).code == 1
