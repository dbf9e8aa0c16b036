"""``kapstan app cancel`` locally and through a server: the same words, the same record.

The running operation is one a process started (its row only): what is tested here is
the request reaching the store; tests/durability and tests/api see an engine honour it.
"""

from __future__ import annotations

from kapstan.model.operation import Step
from tests.remote.conftest import Cli, Server

SOLO = {"kapstan.yaml": "name: solo\nservices:\n  a:\n    manifests: [a.yaml]\n", "a.yaml": "x"}


def _solo(server: Server) -> None:
    with server.store() as store:
        if any(a.name == "solo" for a in store.list_applications()):
            return
        store.save_template_version("solo", SOLO, "solo-1", author="setup")
        store.create_config("solo", {}, author="setup")
        store.create_application(
            "solo",
            template="solo",
            template_version=1,
            environment="dev",
            config="solo",
            config_version=None,
        )


def test_cancel_with_nothing_running_says_so_both_ways(cli: Cli) -> None:
    _solo(cli.server)
    local, remote = cli.both("app", "cancel", "solo")
    assert (local.code, remote.code) == (1, 1)
    said = (
        "application 'solo' has no running operation to cancel; see `kapstan app operations solo`"
    )
    assert said in local.err and said in remote.err


def test_cancel_reaches_the_running_operation_both_ways(cli: Cli) -> None:
    _solo(cli.server)
    with cli.server.store() as store:
        running = store.start_operation("solo", "deploy", author="dana", services=["a"]).id
        assert cli.remote("app", "cancel", "solo", user="vic").code == 1
        assert store.cancel_requested(running) is None
        remote = cli.remote("app", "cancel", "solo", user="dana")
        local = cli.local("app", "cancel", "solo")
        text = (
            f"cancel requested for operation {running} (deploy) of solo: it stops at its next "
            f"safe point; follow it with `kapstan app operation solo {running}`\n"
        )
        assert (remote.code, remote.out, local.code, local.out) == (0, text, 0, text)
        assert store.cancel_requested(running) == "dana"  # the first request stands
        audit = [(e.actor, e.details) for e in store.list_audit() if e.action == "app.cancel"]
        assert sorted(audit) == [
            ("dana", {"operation": running}),
            ("local-op", {"operation": running}),
        ]
        store.finish_operation(running, Step.FAILED, "ended for the test")
