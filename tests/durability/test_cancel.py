"""``app cancel``: a deploy run by another process stops at its next safe point.

The deploy runs in a real ``kapstan app deploy`` subprocess and waits for a service that
never becomes ready (the sandbox's ``never-ready`` fault); the cancel comes from this
process, through its own Store on the same file, and through the CLI.
"""

from __future__ import annotations

import time

import pytest

from kapstan.actions.cancelling import cancel_app
from kapstan.model.operation import Operation, Step
from kapstan.store import Store
from tests.durability.conftest import STEP_TIMEOUT, Trio


def _running(store: Store, app: str, service: str, step: Step) -> Operation:
    """The app's running operation once ``service`` reached ``step`` in it."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        op = store.latest_operation(app)
        states = op.services if op is not None and op.status is Step.RUNNING else ()
        if op is not None and any(s.service == service and s.step is step for s in states):
            return op
        time.sleep(0.2)
    pytest.fail(f"{service} of {app} never reached {step.value}")


def _never_ready_web(trio: Trio) -> None:
    trio.run("app", "deploy", trio.app, "--yes")
    trio.run("config", "set", "trio", "web.fault=never-ready", "release=2")
    trio.run("app", "update", trio.app)


@pytest.mark.parametrize("how", ["store", "cli"])
def test_cancel_stops_a_deploy_of_another_process(trio: Trio, how: str) -> None:
    _never_ready_web(trio)
    proc, _ = trio.start("app", "deploy", trio.app, "--yes", "--timeout", "3600")
    store = Store.open(trio.db_url)
    try:
        op = _running(store, trio.app, "web", Step.WAITING)
        if how == "store":
            asked = cancel_app(store, trio.app, author="carol")
        else:
            said = trio.run("app", "cancel", trio.app)
            assert said.out.startswith(f"cancel requested for operation {op.id} (deploy) of trio")
            asked = store.get_operation(op.id)
        assert asked.id == op.id
        out, err = proc.communicate(timeout=STEP_TIMEOUT)
        assert proc.returncode == 1, (out, err)
        assert f"operation {op.id} (deploy) cancelled" in out

        ended = store.get_operation(op.id)
        who = "carol" if how == "store" else "tester"
        assert (ended.status, ended.message) == (
            Step.CANCELLED,
            f"operation {op.id} was cancelled by {who}",
        )
        steps = {s.service: s.step for s in ended.services}
        assert steps == {"db": Step.READY, "api": Step.READY, "web": Step.CANCELLED}
        web = store.list_revisions(trio.app, "web")
        assert [r.status for r in web] == ["deployed", "cancelled"]
        assert store.get_lock(trio.app) is None
        audit = [e for e in store.list_audit() if e.action == "app.cancel"]
        assert [(e.actor, e.name, e.details) for e in audit] == [
            (who, trio.app, {"operation": op.id})
        ]

        # The application is free: the next deploy runs, and deploys web again (its
        # last revision was cancelled) even though its live objects match.
        trio.run("config", "set", "trio", "web.fault=none")
        trio.run("app", "update", trio.app)
        trio.run("app", "deploy", trio.app, "--yes")
        assert store.latest_revision(trio.app, "web", status=None) is not None
        assert [r.status for r in store.list_revisions(trio.app, "web")][-1] == "deployed"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        store.close()


def test_cancel_with_nothing_running_is_refused(trio: Trio) -> None:
    refused = trio.run("app", "cancel", trio.app, check=False)
    assert refused.code == 1
    assert (
        "application 'trio' has no running operation to cancel; "
        "see `kapstan app operations trio`" in refused.err
    )
