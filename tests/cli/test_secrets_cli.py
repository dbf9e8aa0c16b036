"""A secret value never reaches stdout, stderr or the database file in plaintext."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.cli.conftest import Result, Run

PLAIN = "PLAINTEXT-zq81-hunter2"
FORMATS = ("table", "json", "yaml")


def _deploy_all(s: Store) -> None:
    from tests.cli.test_app_cmd import _deploy

    for service in ("postgres", "catalog"):
        _deploy(s, service, "deploy")


def test_secret_never_printed_nor_stored_in_plaintext(
    shop: Run,
    store: Callable[[], Store],
    db_url: str,
    kubeconfig: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Result] = []
    key = os.environ["KAPSTAN_SECRET_KEY"]

    def run(*args: str | Path) -> Result:
        result = shop(*args)
        seen.append(result)
        return result

    assert run("config", "set", "dev", "--secret", f"db.password={PLAIN}").code == 0
    _deploy_all(store())
    assert run("config", "set", "dev", "--secret", f"db.password={PLAIN}-2").code == 0
    for fmt in FORMATS:
        for args in (
            ("config", "get", "dev"),
            ("config", "get", "dev@3"),
            ("config", "get", "dev", "db.password"),
            ("config", "history", "dev"),
            ("config", "diff", "dev", "2", "4"),
            ("config", "list"),
            ("template", "vars", "bookstore"),
            ("template", "show", "bookstore"),
            ("app", "render", "shop"),
            ("app", "services", "shop"),
            ("app", "changes", "shop"),
            ("app", "show", "shop"),
            ("app", "history", "shop"),
            ("app", "diff", "shop", "-s", "catalog", "1", "1"),
            ("env", "show", "dev"),
            ("env", "list"),
        ):
            assert run(*args, "-o", fmt).code == 0, (args, fmt)
    assert "<redacted>" in run("config", "get", "dev", "db.password").out
    assert (
        "~ db.password: <redacted> -> <redacted>  (secret changed)"
        in run("config", "diff", "dev", "3", "4").out
    )
    assert run("app", "update", "shop").code == 0
    assert run("env", "clone", "dev", "qa", "--namespace", "qa").code == 0
    assert run("config", "get", "qa", "-o", "json").json()["values"]["db.password"] == "<redacted>"
    assert run("config", "rollback", "dev", "3").code == 0

    # Errors around secrets name keys, never values.
    assert run("config", "set", "dev", "--secret", f"bad key={PLAIN}").code == 1
    assert run("config", "set", "dev", "--secret", PLAIN).code == 1
    assert run("config", "set", "dev", "--secret", f"web.host={PLAIN}").code == 0
    placeholder = run("app", "changes", "shop")  # renders the latest config: refused
    assert placeholder.code == 1 and "web.host" in placeholder.err
    assert run("app", "update", "shop").code == 1
    monkeypatch.setenv("KAPSTAN_SECRET_KEY", generate_key())
    wrong_key = run("app", "render", "shop")  # reads that show no secret need no key
    assert wrong_key.code == 1 and "cannot decrypt" in wrong_key.err
    monkeypatch.setenv("KAPSTAN_SECRET_KEY", key)

    # Output paths added since (issue 12): a plain value over a secret key (kept secret), a
    # secret key made plain on purpose (its old value never shown), the audit log and its
    # export, operations, cancel with nothing running, refused and confirmed deletions.
    assert run("config", "set", "dev", f"db.password={PLAIN}-3").code == 0
    assert run("config", "set", "dev", "--secret", f"other.token={PLAIN}-4").code == 0
    assert run("config", "set", "dev", "--plain", "other.token=now-plain").code == 0
    latest = run("config", "get", "dev", "-o", "json").json()["version"]
    for fmt in ("table", "json"):  # yaml prints what json does
        for args in (
            ("config", "history", "dev"),
            ("config", "diff", "dev", "1", str(latest)),
            ("config", "diff", "dev", str(latest - 1), str(latest)),
            ("audit", "list"),
            ("app", "operations", "shop"),
            ("app", "operation", "shop"),
            ("app", "cancel", "shop"),
            ("config", "delete", "dev"),
            ("env", "delete", "dev"),
            ("template", "delete", "bookstore"),
        ):
            run(*args, "-o", fmt)
    run("audit", "export")
    run("config", "set", "dev", "db.password=null")  # refused: a secret needs a text
    assert run("app", "delete", "shop", "--yes").code in (0, 1)
    assert run("config", "delete", "qa").code in (0, 1)
    audit = run("audit", "export").out
    assert '"config.plain"' in audit and "other.token" in audit

    for result in seen:
        assert PLAIN not in result.out and PLAIN not in result.err, result
    raw = b"".join(
        p.read_bytes() for p in Path(db_url.removeprefix("sqlite:///")).parent.glob("kapstan.db*")
    )
    assert PLAIN.encode() not in raw
