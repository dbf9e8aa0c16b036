"""kill -9 of a CLI deploy at each of seven points; the next deploy completes the record.

For each point: release 1 is deployed; release 2 (which changes every object of every
service) is deployed by a ``kapstan app deploy`` that a failpoint pauses at the point,
where it is killed with SIGKILL. Then a plain rerun must succeed at once (the dead
process's lock is taken over, not waited out), and afterwards:

- ``app history`` shows every service at release 2's config version, deployed;
- no revision is left pending (one cut short is ``interrupted``, never a rollback target);
- ``app rollback -s api`` goes back to api's release-1 revision (the live Deployment runs
  ``example/api:1`` again).
"""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.kube import connect
from tests.durability.conftest import Trio, kill_hard, wait_for_marker

SERVICES = ("db", "api", "web")

# The seven points of the issue, as failpoint names (kapstan.failpoints).
KILL_POINTS = {
    "planning": "planning",
    "first wave mid-apply": "after-apply:db:0",
    "first wave readiness": "wait:db",
    "between waves": "wave:1",
    "second wave mid-apply": "after-apply:api:0",
    "second wave readiness": "wait:api",
    "last wave mid-apply": "after-apply:web:0",
}


def _config_version(record: dict[str, Any]) -> int:
    return int(str(record["config"]).rsplit("@", 1)[1])


def _latest(history: list[dict[str, Any]], service: str) -> dict[str, Any]:
    return max((r for r in history if r["service"] == service), key=lambda r: r["revision"])


def _live_image(trio: Trio, name: str) -> str:
    with connect(str(trio.kubeconfig), None) as cluster:
        live = cluster.get("apps/v1", "Deployment", name, trio.namespace)
    assert live is not None
    return str(live["spec"]["template"]["spec"]["containers"][0]["image"])


@pytest.mark.parametrize("point", list(KILL_POINTS.values()), ids=list(KILL_POINTS))
def test_a_deploy_killed_at_any_point_is_completed_by_the_next(trio: Trio, point: str) -> None:
    trio.run("app", "deploy", trio.app, "--yes")
    first = {s: _latest(trio.history(), s) for s in SERVICES}
    assert all(r["status"] == "deployed" for r in first.values())
    trio.run("config", "set", "trio", "release=2")
    trio.run("app", "update", trio.app)
    release_2 = _config_version(first["db"]) + 1

    proc, marker = trio.start("app", "deploy", trio.app, "--yes", failpoint=point)
    wait_for_marker(proc, marker, point)
    kill_hard(proc)

    rerun = trio.run("app", "deploy", trio.app, "--yes", check=False)
    assert rerun.code == 0, (rerun.out, rerun.err)

    history = trio.history()
    assert [r for r in history if r["status"] == "pending"] == []
    for service in SERVICES:
        latest = _latest(history, service)
        assert (latest["status"], _config_version(latest)) == ("deployed", release_2), (
            service,
            history,
        )
    assert _live_image(trio, "api") == "example/api:2"

    trio.run("app", "rollback", trio.app, "-s", "api", "--yes")
    rolled = _latest(trio.history(), "api")
    assert (rolled["status"], _config_version(rolled)) == (
        "deployed",
        _config_version(first["api"]),
    )
    assert _live_image(trio, "api") == "example/api:1"


def test_a_rollback_after_a_kill_resolves_it_too(trio: Trio) -> None:
    """Killed while api waits: rolling api back goes to its last deployed revision."""
    trio.run("app", "deploy", trio.app, "--yes")
    before = _latest(trio.history(), "api")
    trio.run("config", "set", "trio", "release=2")
    trio.run("app", "update", trio.app)
    proc, marker = trio.start("app", "deploy", trio.app, "--yes", failpoint="wait:api")
    wait_for_marker(proc, marker, "wait:api")
    kill_hard(proc)
    assert _latest(trio.history(), "api")["status"] == "pending"  # visible while unresolved

    trio.run("app", "rollback", trio.app, "-s", "api", "--yes")
    api = [(r["revision"], r["status"]) for r in trio.history() if r["service"] == "api"]
    assert api == [(1, "deployed"), (2, "interrupted"), (3, "deployed")]
    rolled = _latest(trio.history(), "api")
    assert _config_version(rolled) == _config_version(before)
    assert _live_image(trio, "api") == "example/api:1"
