"""``kapstan demo``: the whole product in one command, on the sandbox (or a cluster you name)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import platformdirs
import typer

from kapstan import sandbox
from kapstan.actions.demo import APP, CHANGED_KEY, cleanup_demo, run_demo
from kapstan.cli.common import timeout_option
from kapstan.cli.deploy_cmd import progress_listener
from kapstan.cli.output import console
from kapstan.errors import ClusterUnavailableError
from kapstan.store import Store
from kapstan.store.crypto import generate_key


def sandbox_name() -> str:
    return os.environ.get("KAPSTAN_DEMO_SANDBOX") or "demo"


KubeconfigOpt = typer.Option(
    None, "--kubeconfig", help="Use this cluster instead of starting the sandbox."
)


def _say(message: str) -> None:
    console().print(message, markup=False, highlight=False)


def demo_dir() -> Path:
    return Path(os.environ.get("KAPSTAN_DEMO_DIR") or platformdirs.user_data_dir("kapstan-demo"))


def _delete_apps(home: Path, timeout: float, quiet: bool) -> None:
    """``app delete`` for each of the demo's applications, on whichever cluster it used.

    If one cannot be deleted, the demo's files stay (to run the cleanup again) and the error
    is raised; the sandbox, if the demo started it, is stopped anyway by the caller only
    after this succeeds.
    """
    db, key_file = home / "kapstan.db", home / "secret.key"
    if not db.exists():
        return
    if key_file.exists():
        os.environ["KAPSTAN_SECRET_KEY_FILE"] = str(key_file)
        os.environ.pop("KAPSTAN_SECRET_KEY", None)
    with Store.open(str(db)) as store:
        try:
            cleanup_demo(
                store, timeout=timeout, say=_say, listener=None if quiet else progress_listener
            )
        except ClusterUnavailableError:
            if sandbox.load(sandbox_name()) is not None:
                raise
            # The demo's own sandbox is gone already, and everything that ran on it.
            _say("the demo's sandbox is not running: nothing left on it to delete")


def demo(
    kubeconfig: Path | None = KubeconfigOpt,
    prefix: str = typer.Option(
        "kapstan-demo", "--prefix", help="Namespaces are PREFIX-dev and PREFIX-prod."
    ),
    timeout: float = timeout_option("5m", "each service"),
    quiet: bool = typer.Option(False, "--quiet", help="No per-resource progress."),
    cleanup: bool = typer.Option(
        False,
        "--cleanup",
        help="Delete the demo's applications (`app delete`), stop its sandbox and remove its "
        "files, then exit.",
    ),
) -> None:
    """Start the sandbox, install the demo shop into dev, deploy it, change one key, promote to prod."""
    home = demo_dir()
    if cleanup:
        _delete_apps(home, timeout, quiet)
        stopped = sandbox.down(sandbox_name())
        shutil.rmtree(home, ignore_errors=True)
        _say(f"demo removed ({'sandbox stopped, ' if stopped else ''}{home} deleted)")
        return
    shutil.rmtree(home, ignore_errors=True)  # a demo starts from nothing, every time
    home.mkdir(parents=True)
    key_file = home / "secret.key"
    key_file.write_text(generate_key())
    key_file.chmod(0o600)
    os.environ["KAPSTAN_SECRET_KEY_FILE"] = str(key_file)
    os.environ.pop("KAPSTAN_SECRET_KEY", None)
    if kubeconfig is None:
        state = sandbox.load(sandbox_name())
        if state is None:
            _say("starting the sandbox (a real control plane on 127.0.0.1 with fake kwok nodes)")
            state = sandbox.up(sandbox_name(), nodes=3, progress=lambda m: _say(f"    {m}"))
        kubeconfig = state.kubeconfig
    db = home / "kapstan.db"
    with Store.open(str(db)) as store:
        result = run_demo(
            store,
            kubeconfig=kubeconfig,
            prefix=prefix,
            timeout=timeout,
            say=_say,
            listener=None if quiet else progress_listener,
        )
    rolled = ", ".join(result.rolled()) or "none"
    env = f"KAPSTAN_DB={db} KAPSTAN_SECRET_KEY_FILE={key_file}"
    _say(
        f"\nonly {rolled} rolled when {CHANGED_KEY} changed; {APP} runs in dev and {result.prod_app} in prod."
    )
    _say("look around:")
    _say(f"  {env} kapstan app status {APP}")
    _say(f"  {env} kapstan app graph {APP} -o mermaid")
    _say(f"  {env} kapstan app history {result.prod_app}")
    _say(
        f"  {env} kapstan server   # the REST API on http://127.0.0.1:8080 (create a user first: kapstan user create)"
    )
    _say("clean up: kapstan demo --cleanup")
