"""Deploy progress a person can read (issue 15): the board, the plain stream, the live table
and the summary, fed the journal's calls as the engine makes them. No cluster."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from rich.console import Console

from kapstan.cli.deploy_cmd import format_operation
from kapstan.cli.progress import (
    LiveProgress,
    PlainProgress,
    ProgressMode,
    format_event,
    format_summary,
    visible_rows,
    wants_table,
)
from kapstan.model.operation import Operation, OperationEvent, ServiceState, Step
from kapstan.plan.graph import Graph
from kapstan.plan.progress import ProgressBoard, levels_of, summarize

LONG = "payments-reconciliation-worker-eu-west-1"  # 40 characters
assert len(LONG) == 40

# (at, service, resource, status, message): a deploy of db, then api and LONG on db.
CALLS = [
    (0.0, "", "", "planning", "planning 3 service(s)"),
    (0.1, "db", "", "planned", "db: create (2 to create)"),
    (0.1, "api", "", "planned", "api: update (1 to update)"),
    (0.1, LONG, "", "planned", f"{LONG}: create (1 to create)"),
    (0.2, "db", "", "applying", "applying revision 1"),
    (0.3, "db", "StatefulSet.apps ns/db", "applied", "server-side apply"),
    (0.4, "db", "", "waiting", "waiting for readiness"),
    (0.5, "db", "StatefulSet db", "progressing", "0/1 replicas ready"),
    (2.0, "db", "StatefulSet db", "healthy", "1/1 replicas ready at revision db-1"),
    (2.1, "db", "", "ready", "revision 1 ready"),
    (2.2, "api", "", "unchanged", "live state matches; not touched"),
    (2.2, LONG, "", "applying", "applying revision 1"),
    (2.3, LONG, "Deployment.apps ns/payments", "applied", "server-side apply"),
    (2.4, LONG, "", "waiting", "waiting for readiness"),
    (2.5, LONG, "Deployment payments", "progressing", "1/3 updated replicas available"),
    (9.0, LONG, "", "reason", "pod payments-7f: CrashLoopBackOff (exit 1)"),
    (9.1, LONG, "", "failed", "not ready after 6s: Deployment payments 1/3 available"),
]


def _board(until: float = 99.0) -> ProgressBoard:
    board = ProgressBoard(levels={"db": 1, "api": 2, LONG: 2})
    for at, service, resource, status, message in CALLS:
        if at <= until:
            board.record(service, resource, status, message, at)
    return board


def test_the_board_has_one_row_per_service_with_step_counts_elapsed_and_reason() -> None:
    rows = {r.service: r for r in _board(until=5.0).rows()}
    assert [r.service for r in _board().rows()] == ["db", "api", LONG], "by level, then order"
    db, api, long = rows["db"], rows["api"], rows[LONG]
    assert (db.level, db.step, db.ready, db.desired, db.elapsed(5.0)) == (
        1,
        Step.READY,
        1,
        1,
        2.1 - 0.2,
    )
    assert (api.step, api.elapsed(5.0), api.reason) == (
        Step.UNCHANGED,
        None,
        "live state matches; not touched",
    )
    assert (long.step, long.ready, long.desired) == (Step.WAITING, 1, 3)
    assert long.elapsed(5.0) == 5.0 - 2.2, "still running: counted to now"
    assert long.reason == "Deployment payments: 1/3 updated replicas available"
    ended = {r.service: r for r in _board().rows()}[LONG]
    assert ended.step is Step.FAILED and ended.reason.startswith("not ready after 6s")


def test_events_move_a_service_forward_when_its_state_comes_later() -> None:
    """A server's stream sends states after the events of the same read."""
    board = ProgressBoard(["db"])
    board.record("db", "Deployment.apps ns/db", "applied", "server-side apply", 1.0)
    assert board.rows()[0].step is Step.APPLYING and board.rows()[0].started == 1.0
    board.record("db", "Deployment db", "progressing", "0/2 replicas updated", 1.5)
    board.record("db", "", "waiting", "waiting for readiness", 1.6)
    row = board.rows()[0]
    assert (row.step, row.reason) == (Step.WAITING, "Deployment db: 0/2 replicas updated")


def test_a_waiting_service_names_what_it_waits_for_not_an_object_that_is_ready() -> None:
    # Issue 14: the row said "Deployment front: 1/1 ... available" for 300 s while the
    # service waited for its LoadBalancer Service's address.
    board = ProgressBoard(["front"])
    calls = [
        ("", "waiting", "waiting for readiness"),
        ("Service front-external", "progressing", "waiting for a load balancer address"),
        ("Deployment front", "progressing", "0/1 replicas available"),
        ("Deployment front", "healthy", "1/1 replicas updated and available"),
    ]
    for at, (resource, status, message) in enumerate(calls):
        board.record("front", resource, status, message, float(at))
    row = board.rows()[0]
    assert row.reason == "Service front-external: waiting for a load balancer address"
    assert (row.ready, row.desired) == (1, 1)
    board.record("front", "Service front-external", "healthy", "load balancer at 127.9.0.1", 9.0)
    assert board.rows()[0].reason == "Service front-external: load balancer at 127.9.0.1"


def test_levels_come_from_the_dependency_graph() -> None:
    graph = Graph("g", ("web", "db", "api"), {"web": ("api",), "api": ("db",)}, {})
    assert levels_of(graph) == {"db": 1, "api": 2, "web": 3}


def test_the_plain_stream_aligns_columns_for_a_40_character_service_name() -> None:
    out = io.StringIO()
    plain = PlainProgress(out, ["db", LONG])
    for _, service, resource, status, message in CALLS:
        plain(service, resource, status, message)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(CALLS)
    # The status column starts at the same place on every line, (app) and db as LONG.
    starts = {line.index(status) for line, (_, _, _, status, _) in zip(lines, CALLS, strict=True)}
    assert starts == {2 + 40 + 1}, lines
    assert lines[0] == format_event("", "", "planning", "planning 3 service(s)", 40)
    assert format_event("db", "", "ready", "revision 1 ready") == (
        "  db           ready        revision 1 ready"
    ), "with short names: the stream as it always was"


def _operation() -> Operation:
    t0 = datetime(2026, 12, 5, 12, 0, 0, tzinfo=UTC)
    events = tuple(
        OperationEvent(t0 + timedelta(seconds=at), status, message, service, resource)
        for at, service, resource, status, message in CALLS
        if service == "" or resource or status == "reason"  # states are not events
    )
    return Operation(
        7,
        "shop",
        "deploy",
        Step.FAILED,
        "tester",
        t0,
        t0 + timedelta(seconds=9.5),
        "1 failed, 1 ready, 1 unchanged",
        services=(
            ServiceState("db", Step.READY, "revision 1 ready", 1),
            ServiceState("api", Step.UNCHANGED, "live state matches; not touched", 4),
            ServiceState(LONG, Step.FAILED, "not ready after 6s: Deployment payments", 1),
            ServiceState("web", Step.SKIPPED, "not started: dependency api did not become ready"),
        ),
        events=events,
    )


def test_the_summary_says_what_changed_what_failed_and_why_and_how_long() -> None:
    summary = summarize(_operation())
    assert (summary.updated, summary.unchanged, summary.seconds) == (("db",), ("api",), 9.5)
    assert [(f.service, f.reasons) for f in summary.failed] == [
        (LONG, ("pod payments-7f: CrashLoopBackOff (exit 1)",))
    ]
    lines = format_summary(summary)
    assert lines[0] == (
        "deploy of shop failed in 9.5s: 1 updated (db), 1 unchanged, 1 failed, 1 skipped"
    )
    assert lines[1] == f"  failed   {LONG}  not ready after 6s: Deployment payments"
    assert lines[2].strip() == "pod payments-7f: CrashLoopBackOff (exit 1)", "why, shown"
    assert re.match(r"  skipped  web +  not started: dependency api", lines[3])
    assert summary.record()["failed"] == [
        {
            "service": LONG,
            "message": "not ready after 6s: Deployment payments",
            "reasons": ["pod payments-7f: CrashLoopBackOff (exit 1)"],
        }
    ]


def test_the_live_table_draws_one_line_per_service_on_a_terminal() -> None:
    out = io.StringIO()
    term = Console(file=out, force_terminal=True, width=120, height=40, color_system=None)
    now = [0.0]
    board = ProgressBoard(levels={"db": 1, "api": 2, LONG: 2})
    with LiveProgress(term, board, clock=lambda: now[0], auto_refresh=False) as live:
        for at, service, resource, status, message in CALLS:
            now[0] = at
            live(service, resource, status, message)
        now[0] = 9.5
    # Redrawn in place: the cursor goes back up between two frames; the last frame stays.
    assert "\x1b[" in out.getvalue(), "cursor movement: a live display, not a log"
    last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue()).split("\r")[-1]
    lines = [ln.rstrip() for ln in last.splitlines() if ln.strip()]
    assert lines[0] == "3/3 services done, 1 failed · 9.5s"
    assert lines[1].split() == ["LEVEL", "SERVICE", "STEP", "READY", "ELAPSED", "REASON"]
    assert lines[2].split()[:5] == ["1", "db", "ready", "1/1", "1.9s"]
    assert lines[3].split()[:5] == ["2", "api", "unchanged", "-", "-"]
    assert lines[4].split()[:5] == ["2", LONG, "failed", "1/3", "6.9s"]
    assert "not ready after 6s" in lines[4] and len(lines) == 5


def test_a_long_table_keeps_failed_and_running_services_in_view() -> None:
    board = ProgressBoard([f"s{i:03}" for i in range(50)])
    board.record("s040", "", "failed", "boom", 1.0)
    board.record("s045", "", "applying", "applying revision 1", 1.0)
    shown, hidden = visible_rows(board.rows(), 5)
    assert [r.service for r in shown] == ["s000", "s001", "s002", "s040", "s045"]
    assert hidden == 45


def test_the_operation_log_aligns_its_columns_for_long_names_too() -> None:
    text = format_operation(_operation())
    lines = text.split("events:\n")[1].splitlines()
    events = _operation().events
    # "  2026-12-05 12:00:00 SERVICE STATUS": the status starts after a 40-wide service.
    column = 2 + 19 + 1 + 40 + 1
    assert [line[column:].split()[0] for line in lines] == [e.status for e in events], lines
    assert lines[0][2 + 19 + 1 :].startswith("(app) ")


def test_auto_shows_the_table_only_on_a_terminal() -> None:
    assert not wants_table(ProgressMode.auto), "pytest captures stdout: not a terminal"
    assert wants_table(ProgressMode.table) and not wants_table(ProgressMode.plain)
