"""The rounds of ``bench_api.py``: a side's requests to a target measured round by round.

A side is one server under load: the client that talks to it and the processes whose CPU
counts. A pair is a Kapstan endpoint and the kube-apiserver request it is measured against.
``interleave`` runs each pair's two sides back to back in every round, who goes first
alternating; each side's round starts with an uncounted warm-up of one request per client.
``summarize`` makes a target's rounds the figures the report prints: latency quantiles over
every counted request, the median round's throughput, server and client CPU per request.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass

from apiservers import cpu_seconds
from loadclient import Getter, Tally, Target, hammer

GOAL_MS = 50.0


@dataclass(frozen=True)
class Side:
    """One server under load: the client that talks to it and the processes whose CPU counts."""

    name: str
    client: Getter
    pids: tuple[int, ...]


@dataclass(frozen=True)
class Round:
    """One side's counted requests to one target in one round."""

    number: int
    first: bool  # this side went first in its pair this round
    tally: Tally
    seconds: float
    server_cpu: float  # seconds of CPU the side's server processes used during the round
    client_cpu: float  # ... and this process (the load generator, both sides alike)
    load: float  # the machine's 1-minute load average at the end of the round

    @property
    def throughput(self) -> float:
        return len(self.tally.latencies) / self.seconds

    def quantile(self, cut: int) -> float:
        return statistics.quantiles(self.tally.latencies, n=100, method="inclusive")[cut - 1]


@dataclass(frozen=True)
class Stats:
    label: str
    api: bool
    requests: int
    errors: Counter[str]
    median: float
    p90: float
    p99: float
    max: float
    throughput: float  # the median of the rounds' throughputs
    size: int
    server_cpu_ms: float  # per request
    client_cpu_ms: float  # per request
    rounds: int
    note: str = ""

    @property
    def goal(self) -> bool:
        return self.p99 < GOAL_MS


async def measure_round(
    side: Side, target: Target, requests: int, clients: int, number: int, first: bool
) -> Round:
    offset = number * requests
    # Warm-up, not counted: every connection open and used once since the other side ran.
    await hammer(side.client, target, clients, clients, offset)
    cpu, mine, started = cpu_seconds(side.pids), time.process_time(), time.perf_counter()
    tally = await hammer(side.client, target, requests, clients, offset)
    seconds = time.perf_counter() - started
    return Round(
        number,
        first,
        tally,
        seconds,
        cpu_seconds(side.pids) - cpu,
        time.process_time() - mine,
        os.getloadavg()[0],
    )


def summarize(target: Target, rounds: list[Round], note: str = "") -> Stats:
    """Latency quantiles over every counted request of every round; throughput: the median round."""
    latencies = [ms for r in rounds for ms in r.tally.latencies]
    errors: Counter[str] = Counter()
    for r in rounds:
        errors.update(r.tally.errors)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Stats(
        target.label,
        target.api,
        len(latencies),
        errors,
        statistics.median(latencies),
        cuts[89],
        cuts[98],
        max(latencies),
        statistics.median(r.throughput for r in rounds),
        max(r.tally.size for r in rounds),
        sum(r.server_cpu for r in rounds) * 1000 / len(latencies),
        sum(r.client_cpu for r in rounds) * 1000 / len(latencies),
        len(rounds),
        note,
    )


async def run_target(
    side: Side, target: Target, requests: int, clients: int, note: str = ""
) -> Stats:
    """One target on its own, in one round (the endpoints the peer has no match for)."""
    return summarize(target, [await measure_round(side, target, requests, clients, 0, True)], note)


@dataclass(frozen=True)
class Pair:
    """A Kapstan endpoint and the kube-apiserver request it is measured against."""

    ours: Target
    theirs: Target


async def interleave(
    pairs: list[Pair], kapstan: Side, peer: Side | None, rounds: int, requests: int, clients: int
) -> dict[str, list[Round]]:
    """``rounds`` rounds; in each, every pair's two sides back to back, who goes first alternating.

    Both servers are up for the whole run, so a burst of load from elsewhere on a shared
    machine falls on both sides' rounds alike instead of on one half of the run.
    """
    found: dict[str, list[Round]] = {}
    for number in range(rounds):
        for pair in pairs:
            turns = [(kapstan, pair.ours)] + ([(peer, pair.theirs)] if peer else [])
            if number % 2:
                turns.reverse()
            for place, (side, target) in enumerate(turns):
                done = await measure_round(side, target, requests, clients, number, place == 0)
                found.setdefault(target.label, []).append(done)
        print(f"round {number + 1}/{rounds} measured", file=sys.stderr, flush=True)
    return found
