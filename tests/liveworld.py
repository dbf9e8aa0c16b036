"""What the module-scoped sandbox fixtures share: the CLI run in process, a process
environment that reaches only the test's store, and a store seeded with one application
in one environment on the sandbox."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from kapstan.cli.main import main
from kapstan.store import Store
from kapstan.templates.parser import parse_template


def kapstan(*args: str | Path) -> tuple[int, str, str]:
    """``kapstan ARGS`` in process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def ok(*args: str | Path) -> str:
    code, out, err = kapstan(*args)
    assert code == 0, (args, out, err)
    return out


def isolate(patch: pytest.MonkeyPatch, home: Path, key: str) -> None:
    """The CLI as user root with ``key``, its config under ``home``, no store or server
    from the machine's environment."""
    patch.setenv("KAPSTAN_SECRET_KEY", key)
    patch.setenv("KAPSTAN_USER", "root")
    patch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for name in ("KAPSTAN_DB", "KAPSTAN_SERVER", "KAPSTAN_TOKEN", "KAPSTAN_SECRET_KEY_FILE"):
        patch.delenv(name, raising=False)


def seed(store: Store, app: str, files: dict[str, str], kubeconfig: str, namespace: str) -> str:
    """Environment and config ``live`` in ``namespace``, an admin ``root``, template and
    application ``app`` made of ``files``; root's token."""
    store.create_config("live", {}, author="setup")
    store.create_environment(
        "live", kubeconfig=kubeconfig, context=None, namespace=namespace, config="live"
    )
    store.create_user("root", password=None, admin=True)
    token = store.create_token("root")[0]
    store.save_template_version(app, files, parse_template(files).digest, author="setup")
    store.create_application(
        app,
        template=app,
        template_version=1,
        environment="live",
        config="live",
        config_version=None,
    )
    return token
