"""What an operation's journal says about each service: one row per service, and a summary.

Pure. ``ProgressBoard`` folds the journal's calls (service, resource, status, message), each
with the time it was seen, as a listener receives them (the CLI, locally or following a
server) or as an ``Operation`` record holds them (the console's page, ``board_of``). A call
with a service, no resource and a step's name is that service's state
(``Journal.service_state``); anything else is an event. States are authoritative; events
only move a service forward (a server's stream sends states after the events of the same
read), and give its ready/desired counts and current reason.

``summarize`` says how a finished operation ended: what changed, what failed and why, how
long it took.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kapstan.model.health import HealthStatus
from kapstan.model.operation import Operation, ServiceState, Step
from kapstan.plan.graph import Graph, waves

# Kinds whose health message counts replicas ("2/3 replicas ready"): the service's ready/desired.
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})
_COUNT = re.compile(r"\b(\d+)/(\d+)\b")
_STEPS = {s.value: s for s in Step}
_HEALTH = frozenset(h.value for h in HealthStatus)
_ACTIVE = (Step.APPLYING, Step.WAITING, Step.PRUNING)
_QUIET = frozenset({Step.UNCHANGED, Step.SKIPPED})  # never touched the cluster: no elapsed
_RANK = {Step.PENDING: 0, Step.PLANNED: 1, Step.APPLYING: 2, Step.WAITING: 3, Step.PRUNING: 4}


def levels_of(graph: Graph) -> dict[str, int]:
    """Each service's dependency level, from 1 (depends on nothing): for display only."""
    return {s: number for number, wave in enumerate(waves(graph), start=1) for s in wave}


@dataclass(frozen=True)
class ServiceRow:
    """One line of a progress table."""

    service: str
    level: int | None
    step: Step
    ready: int | None
    desired: int | None
    started: float | None  # seconds, on the clock the calls were timed with
    ended: float | None
    reason: str

    def elapsed(self, now: float) -> float | None:
        if self.started is None:
            return None
        return max(0.0, (self.ended if self.ended is not None else now) - self.started)


@dataclass
class _Track:
    order: int
    step: Step = Step.PENDING
    reason: str = ""
    started: float | None = None
    ended: float | None = None
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # per workload
    last_seen: float | None = None
    # Resource -> reason, for those whose last health was not healthy, the latest last: what
    # the service still waits for (an Available Deployment is not why a Service lacks an IP).
    unhealthy: dict[str, str] = field(default_factory=dict)


class ProgressBoard:
    """The rows of a progress table, kept current as the journal's calls come in."""

    def __init__(
        self, services: Sequence[str] = (), levels: Mapping[str, int] | None = None
    ) -> None:
        self.levels = dict(levels or {})
        self.app_status = ""  # the last operation-wide event: planning, failed...
        self.app_message = ""
        self._tracks: dict[str, _Track] = {}
        for service in services:
            self._track(service)

    def _track(self, service: str) -> _Track:
        if service not in self._tracks:
            self._tracks[service] = _Track(order=len(self._tracks))
        return self._tracks[service]

    def record(self, service: str, resource: str, status: str, message: str, at: float) -> None:
        """One journal call, seen at ``at`` (seconds)."""
        if not service:
            self.app_status, self.app_message = status, message
            return
        track = self._track(service)
        track.last_seen = at
        step = _STEPS.get(status) if not resource else None
        if step is not None:
            self._state(track, step, message, at)
        else:
            self._event(track, resource, status, message, at)

    def _state(self, track: _Track, step: Step, message: str, at: float) -> None:
        track.step = step
        # "waiting for readiness" says less than the health messages that follow it.
        if message and not (step is Step.WAITING and track.reason):
            track.reason = message
        if step in _ACTIVE and track.started is None:
            track.started = at
        if step.terminal and step not in _QUIET:
            track.started = at if track.started is None else track.started
            track.ended = at
        if step in _ACTIVE:
            track.ended = None  # an atomic rollback takes a finished service up again

    def _event(self, track: _Track, resource: str, status: str, message: str, at: float) -> None:
        if track.step.terminal:
            # After its end (an atomic rollback's events): the reason only.
            track.reason = _reason(resource, message)
            return
        inferred = Step.WAITING if status in _HEALTH else Step.APPLYING if resource else None
        if inferred is not None and _RANK.get(track.step, 0) < _RANK[inferred]:
            track.step = inferred
        if resource and track.started is None:
            track.started = at
        if status in _HEALTH and resource.split(" ", 1)[0] in WORKLOAD_KINDS:
            found = _COUNT.search(message)
            if found:
                track.counts[resource] = (int(found.group(1)), int(found.group(2)))
        reason = _reason(resource, message)
        if status in _HEALTH and resource:
            track.unhealthy.pop(resource, None)
            if status != HealthStatus.HEALTHY.value:
                track.unhealthy[resource] = reason
        # A resource turning healthy does not explain the wait while another still holds it.
        track.reason = next(reversed(track.unhealthy.values()), reason)

    def settle(self, states: Iterable[ServiceState], ended: float | None = None) -> None:
        """Take ``states`` (an operation record's) as where each service stands now.

        A service that ended is given the time of its last event as its end, else ``ended``.
        """
        for state in states:
            track = self._track(state.service)
            if track.step is not state.step:
                at = track.last_seen if track.last_seen is not None else ended
                if at is not None:
                    self._state(track, state.step, state.message, at)
                else:
                    track.step = state.step
            if state.message and state.step.terminal:
                track.reason = state.message

    def rows(self) -> list[ServiceRow]:
        """Every service seen, by dependency level, then in the order first seen."""
        unknown = 1 + max(self.levels.values(), default=0)
        ordered = sorted(
            self._tracks.items(), key=lambda kv: (self.levels.get(kv[0], unknown), kv[1].order)
        )
        return [_row(service, self.levels.get(service), t) for service, t in ordered]


def _row(service: str, level: int | None, track: _Track) -> ServiceRow:
    ready: int | None = None
    desired: int | None = None
    if track.counts:
        ready = sum(n for n, _ in track.counts.values())
        desired = sum(m for _, m in track.counts.values())
        if track.step is Step.READY:
            ready = desired  # its last count may predate the state that says so
    return ServiceRow(
        service, level, track.step, ready, desired, track.started, track.ended, track.reason
    )


def elapsed_text(seconds: float | None) -> str:
    """``4.2s``, ``1m05s``, ``1h02m``; ``-`` for none."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def _reason(resource: str, message: str) -> str:
    return f"{resource}: {message}" if resource else message


def board_of(
    op: Operation, levels: Mapping[str, int] | None = None, *, now: datetime | None = None
) -> ProgressBoard:
    """The board of an operation record: its events, then its services' recorded states.

    Times are the record's own (``moment``). The services of an operation that ended
    without a word about them end with it (``now`` while it runs).
    """
    board = ProgressBoard([s.service for s in op.services], levels)
    for e in op.events:
        if e.status != "request":  # the recorded request (actions.journal): bookkeeping
            board.record(e.service, e.resource, e.status, e.message, moment(e.at))
    end = op.finished_at or now
    board.settle(op.services, moment(end) if end is not None else None)
    return board


def moment(at: datetime) -> float:
    """Seconds since the epoch; a naive moment is UTC (as the store keeps them)."""
    return (at.replace(tzinfo=UTC) if at.tzinfo is None else at).timestamp()


@dataclass(frozen=True)
class Failure:
    service: str
    message: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Summary:
    """How an operation ended: what changed, what failed and why, how long it took."""

    kind: str
    app: str
    status: Step
    message: str
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    rolled_back: tuple[str, ...]
    failed: tuple[Failure, ...]
    skipped: tuple[Failure, ...]  # not started: a dependency failed
    not_run: tuple[str, ...]  # the operation ended before reaching them
    seconds: float | None

    def record(self) -> dict[str, object]:
        """For JSON/YAML output."""
        return {
            "updated": list(self.updated),
            "unchanged": list(self.unchanged),
            "removed": list(self.removed),
            "rolledBack": list(self.rolled_back),
            "failed": [
                {"service": f.service, "message": f.message, "reasons": list(f.reasons)}
                for f in self.failed
            ],
            "skipped": [{"service": f.service, "message": f.message} for f in self.skipped],
            "notRun": list(self.not_run),
            "seconds": self.seconds,
        }


def summarize(op: Operation) -> Summary:
    def named(*steps: Step) -> tuple[str, ...]:
        return tuple(s.service for s in op.services if s.step in steps)

    def reasons(service: str) -> tuple[str, ...]:
        return tuple(e.message for e in op.events if e.status == "reason" and e.service == service)

    failed = tuple(
        Failure(s.service, s.message, reasons(s.service))
        for s in op.services
        if s.step in (Step.FAILED, Step.CANCELLED)
    )
    skipped = tuple(Failure(s.service, s.message) for s in op.services if s.step is Step.SKIPPED)
    seconds = None
    if op.finished_at is not None:
        seconds = round(moment(op.finished_at) - moment(op.started_at), 1)
    return Summary(
        kind=op.kind,
        app=op.app,
        status=op.status,
        message=op.message,
        updated=named(Step.READY),
        unchanged=named(Step.UNCHANGED),
        removed=named(Step.REMOVED),
        rolled_back=named(Step.ROLLED_BACK),
        failed=failed,
        skipped=skipped,
        not_run=named(Step.PENDING, Step.PLANNED, *_ACTIVE),
        seconds=seconds,
    )
