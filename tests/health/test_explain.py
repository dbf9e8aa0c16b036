"""``explain_failure`` and ``pods_for`` on captured failures, and their rules in small cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kapstan.health import explain_failure, pods_for, worst_pods
from tests.health.fixture_files import explain_fixtures, load


@pytest.mark.parametrize("path", explain_fixtures(), ids=lambda p: p.stem)
def test_explain_fixture(path: Path) -> None:
    fixture = load(path)
    workload = fixture["workload"]

    pods = pods_for(workload, fixture["pods"])
    lines = explain_failure(workload, pods, fixture["events"], fixture.get("logs"))

    assert [p["metadata"]["name"] for p in pods] == fixture["expect_pods"]
    text = "\n".join(lines)
    for expected in fixture["expect_lines"]:
        assert expected in text, f"{expected!r} missing from:\n{text}"
    for absent in fixture["expect_absent"]:
        assert absent not in text, f"{absent!r} should not be in:\n{text}"


def _pod(name: str, *, ready: bool = True, restarts: int = 0, waiting: str = "") -> dict[str, Any]:
    state: dict[str, Any] = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "ns", "labels": {"app": "a"}},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {"name": "main", "ready": ready, "restartCount": restarts, "state": state}
            ],
        },
    }


def _event(name: str, reason: str, when: dict[str, Any], kind: str = "Pod") -> dict[str, Any]:
    return {
        "kind": "Event",
        "type": "Warning",
        "reason": reason,
        "message": f"{reason} happened",
        "involvedObject": {"kind": kind, "name": name},
        **when,
    }


WORKLOAD = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "a", "namespace": "ns", "generation": 1},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "a"}}},
    "status": {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3},
}


def test_worst_pods_puts_failed_first_then_most_restarts_and_skips_healthy() -> None:
    pods = [
        _pod("ok"),
        _pod("slow", ready=False, restarts=1),
        _pod("slower", ready=False, restarts=4),
        _pod("crashing", ready=False, waiting="CrashLoopBackOff"),
    ]

    assert [p["metadata"]["name"] for p in worst_pods(pods)] == ["crashing", "slower", "slow"]
    assert [p["metadata"]["name"] for p in worst_pods(pods, limit=1)] == ["crashing"]


def test_events_are_ordered_by_their_latest_time_whichever_field_holds_it() -> None:
    events = [
        _event("a-1", "Third", {"series": {"lastObservedTime": "2026-01-01T00:00:03.000001Z"}}),
        _event("a-1", "First", {"lastTimestamp": "2026-01-01T00:00:01Z"}),
        _event("a-1", "Second", {"eventTime": "2026-01-01T00:00:02.5Z"}),
        _event("a-1", "Zeroth", {"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"}}),
    ]

    lines = [
        line
        for line in explain_failure(WORKLOAD, [_pod("a-1", ready=False)], events)
        if line.startswith("  event ")
    ]

    assert [line.split()[1] for line in lines] == ["Zeroth", "First", "Second", "Third"]


def test_only_the_latest_five_relevant_warnings_are_shown() -> None:
    events = [
        _event("a-1", f"R{i}", {"lastTimestamp": f"2026-01-01T00:00:{i:02d}Z"}) for i in range(8)
    ]
    events.append(_event("other", "Unrelated", {"lastTimestamp": "2026-01-01T00:01:00Z"}))
    events.append(
        _event("a-7d9f", "FailedCreate", {"lastTimestamp": "2026-01-01T00:02:00Z"}, "ReplicaSet")
    )
    events.append(
        dict(_event("a-1", "Normal", {"lastTimestamp": "2026-01-01T00:03:00Z"}), type="Normal")
    )

    lines = [
        line
        for line in explain_failure(WORKLOAD, [_pod("a-1")], events)
        if line.startswith("  event ")
    ]

    assert [line.split()[1] for line in lines] == ["R4", "R5", "R6", "R7", "FailedCreate"]


def test_logs_are_found_by_container_name_and_trimmed_to_the_last_lines() -> None:
    pod = _pod("a-1", ready=False, waiting="CrashLoopBackOff")
    log = "\n".join(f"line {i}" for i in range(1, 31))

    lines = explain_failure(WORKLOAD, [pod], [], {"main": log})

    shown = [line for line in lines if line.startswith("    | ")]
    assert shown == [f"    | line {i}" for i in range(21, 31)]
    assert "  last 10 log lines of a-1/main:" in lines


def test_without_unhealthy_pods_only_the_workload_is_explained() -> None:
    lines = explain_failure(WORKLOAD, [_pod("a-1")], [], {"main": "never shown"})

    assert lines == ["Deployment a: progressing: 0/3 updated replicas available"]
