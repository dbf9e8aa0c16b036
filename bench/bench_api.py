"""Benchmark: a real ``kapstan server`` under load from 50 concurrent clients, read endpoints.

This is a script, not a test. It fills a store through ``kapstan.store.Store`` (not HTTP):
1,000 applications spread over 4 environments, each environment with its own config (20
keys, one of them secret), one template of 3 services, and one finished deploy operation
per application. Then it starts ``kapstan server`` on 127.0.0.1 over that store (SQLite by
default; ``--db URL`` takes the URL of an empty PostgreSQL database instead). Each endpoint
then gets ``--requests`` GETs from ``--clients`` concurrent clients (asyncio + httpx, kept
alive). A warm-up round of one request per client opens the connections and is not
counted. The names in the paths rotate over the applications and configs.

    python bench/bench_api.py [--requests 2000] [--clients 50] [--rounds 6] [--apps 1000]
                              [--workers 2] [--db postgresql+psycopg://...] [--no-peer]

The server runs ``--workers`` uvicorn processes (``kapstan server --workers N``; default 2,
one per core of the machine the targets were set on).

Peer in the same run: the kube-apiserver of the project's sandbox (started while Kapstan's
store fills), with 1,000 ConfigMaps in a namespace, under the same load (same clients, same
number of requests), using the client certificates from the sandbox's kubeconfig. Both
servers stay up for the whole run, and the three matching pairs (``/healthz``, one
application vs one ConfigMap, a page of 50 of each) are measured in ``--rounds``
interleaved rounds: in each round, each pair's two sides run back to back, and who goes
first alternates from round to round. A burst of load from elsewhere on a shared machine
then falls on both sides alike instead of on one half of the run. Each side's round starts
with an uncounted warm-up of one request per client (connections open and used). Latency
quantiles are over every counted request of the side; throughput is the median of its
rounds'. The server CPU per request is read from /proc: Kapstan's process tree, and
kube-apiserver together with its etcd (the store it stands on, as SQLite is Kapstan's).

The script prints the ratios Kapstan / kube-apiserver of the medians, p99s, throughputs and
CPU per request for the matching pairs, a per-round table for each pair (with the load
average), the machine's load average before and after the run, and whether the
application read meets its targets (median and p99 within 2x the ConfigMap read's, at
least half its throughput). The load generator runs in this process on the same shared
cores as the servers, for both targets alike (the peer's TLS costs this process more CPU:
the ``client`` column).

The Kapstan-only endpoints (environments, one config, templates, an application's
operations) then get ``--requests`` each in one round. API reads send an admin's bearer
token. The console's application page uses a session from the login form, which is posted
with its CSRF token. The environments' kubeconfig names a cluster on a closed port of
127.0.0.1, as if the cluster were down. The console page reads the cluster (live status,
diagnosis), so those two reads are also timed in this process, wall clock against CPU. If
they wait (more than a second of wall time beyond their CPU time), the page is still
measured, with fewer requests so that the run stays bounded, and the output says so.

Printed per endpoint: requests, errors (any non-2xx status or transport failure), median,
p90, p99 and max latency in ms, throughput, the response size, server and client CPU per
request. Also printed: the servers' peak RSS (VmHWM) after the load, and one line per
server saying whether p99 is under 50 ms for API reads.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import shutil
import ssl
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# The script's parts, beside it in bench/: what the servers hold, the servers, the load
# client (each request timed) and the rounds (their figures).
from apifixture import (
    CONSOLE_PASSWORD,
    CONSOLE_USER,
    ENVIRONMENTS,
    NAMESPACE,
    Fixture,
    fill,
    fill_kube,
    unreachable_kubeconfig,
)
from apiservers import KubeAccess, Server, kapstan_server, kube_access, peak_rss_mib, process_tree
from loadclient import REQUEST_TIMEOUT, Getter, HttpxClient, RawClient, Target, async_client
from loadrounds import GOAL_MS, Pair, Round, Side, Stats, interleave, run_target, summarize

from kapstan import sandbox
from kapstan.actions.diagnose import diagnose
from kapstan.actions.status import app_status
from kapstan.errors import KapstanError
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from kapstan.web.sessions import COOKIE

WAIT_MS = 1000.0  # the page's cluster reads spend this much more wall than CPU time: they wait
SLOW_PAGE_ROUNDS = 5  # ...and then the page gets this many requests per client, not --requests
TARGET_LATENCY_RATIO, TARGET_THROUGHPUT_RATIO = 2.0, 0.5
PAGE = 50
APP_GET, APP_PAGE = "GET /api/v1/applications/{name}", "GET /api/v1/applications?limit=50 (a page)"
KUBE_GET = "GET /api/v1/namespaces/bench/configmaps/{name}"
KUBE_PAGE = "GET /api/v1/namespaces/bench/configmaps?limit=50"
KAPSTAN_FLOOR, KUBE_FLOOR = "GET /healthz (floor: no store, no auth)", "GET /healthz (floor)"


# --- the targets ---------------------------------------------------------------------------


def pairs(fixture: Fixture, count: int) -> list[Pair]:
    apps, pages = fixture.apps, max(1, len(fixture.apps) // PAGE)
    base = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
    return [
        Pair(
            Target(KAPSTAN_FLOOR, lambda _i: "/healthz", api=False),
            Target(KUBE_FLOOR, lambda _i: "/healthz", api=False),
        ),
        Pair(
            Target(APP_GET, lambda i: f"/api/v1/applications/{apps[i % len(apps)]}"),
            Target(KUBE_GET, lambda i: f"{base}/app-{i % count:04d}"),
        ),
        Pair(
            Target(
                APP_PAGE,
                lambda i: f"/api/v1/applications?limit={PAGE}&offset={(i % pages) * PAGE}",
            ),
            Target(KUBE_PAGE, lambda _i: f"{base}?limit={PAGE}"),
        ),
    ]


def kapstan_only(fixture: Fixture) -> list[Target]:
    apps, configs = fixture.apps, fixture.configs
    return [
        Target("GET /api/v1/environments", lambda _i: "/api/v1/environments"),
        Target(
            "GET /api/v1/configs/{name}", lambda i: f"/api/v1/configs/{configs[i % len(configs)]}"
        ),
        Target("GET /api/v1/templates", lambda _i: "/api/v1/templates"),
        Target(
            "GET /api/v1/applications/{name}/operations",
            lambda i: f"/api/v1/applications/{apps[i % len(apps)]}/operations",
        ),
    ]


def console_session(base_url: str) -> str:
    """Log in through the console's form (GET it for the CSRF token, POST it); the session id."""
    with httpx.Client(base_url=base_url, timeout=30) as browser:
        form = browser.get("/ui/login")
        found = re.search(r'name="csrf" value="([^"]+)"', form.text)
        if form.status_code != 200 or found is None:
            raise RuntimeError(f"login form: {form.status_code} {form.text[:300]}")
        answer = browser.post(
            "/ui/login",
            data={"user": CONSOLE_USER, "password": CONSOLE_PASSWORD, "csrf": found.group(1)},
        )
        session = answer.cookies.get(COOKIE)
        if answer.status_code != 303 or not session:
            raise RuntimeError(f"console login: {answer.status_code} {answer.text[:300]}")
        return session


def probe_console(base_url: str, session: str, app: str) -> float:
    """Seconds for one console app page, alone: over SLOW_PAGE_S means it waits on the cluster."""
    started = time.perf_counter()
    answer = httpx.get(
        f"{base_url}/ui/apps/{app}", cookies={COOKIE: session}, timeout=REQUEST_TIMEOUT
    )
    seconds = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"console app page: {answer.status_code} {answer.text[:300]}")
    return seconds


@dataclass(frozen=True)
class ClusterCost:
    """What the console page's two cluster reads (status, diagnosis) cost, timed in this process."""

    wall_ms: float
    cpu_ms: float
    outcome: str


def cluster_cost(store: Store, app: str, runs: int = 5) -> ClusterCost:
    walls: list[float] = []
    cpus: list[float] = []
    outcome = "read"
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            app_status(store, app)
        except KapstanError as exc:  # the page shows this message instead of the statuses
            outcome = exc.message.rsplit(": ", 1)[-1]
        diagnose(store, app)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return ClusterCost(statistics.median(walls), statistics.median(cpus), outcome)


def console_plan(alone: float, cost: ClusterCost, requests: int, clients: int) -> tuple[int, str]:
    """How many requests the console page gets, and the note that says what it waits on."""
    note = (
        f"one page alone {alone * 1000:.0f} ms; its cluster reads (status + diagnosis) against "
        f"the down cluster, in process: {cost.wall_ms:.0f} ms wall, {cost.cpu_ms:.0f} ms CPU "
        f"({cost.outcome})"
    )
    if cost.wall_ms - cost.cpu_ms < WAIT_MS:
        return requests, note + "; it does not wait on the cluster"
    count = min(requests, clients * SLOW_PAGE_ROUNDS)
    return count, (
        note + f"; the page WAITS ON THE CLUSTER: measured with {count} requests, not {requests}"
    )


# --- the run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    ours: list[Stats]
    peer: list[Stats]
    rounds: dict[str, list[Round]]
    pairs: list[Pair]


async def load(
    server: Server, fixture: Fixture, cost: ClusterCost, peer: KubeAccess | None, args: Any
) -> Results:
    clients, per_round = args.clients, args.requests // args.rounds
    matched = pairs(fixture, args.apps)
    auth = {"Authorization": f"Bearer {fixture.token}"}
    async with AsyncExitStack() as stack:

        def getter(url: str, headers: dict[str, str], tls: ssl.SSLContext | None) -> Getter:
            made: Getter
            if args.client == "raw":
                made = RawClient(url, clients, headers, tls)
            else:
                made = HttpxClient(async_client(url, clients, headers=headers, verify=tls or True))
            stack.push_async_callback(made.aclose)
            return made

        ours = getter(server.url, auth, None)
        kapstan = Side("Kapstan", ours, tuple(process_tree(server.process.pid)))
        theirs: Side | None = None
        if peer is not None:
            async with async_client(peer.server, clients, verify=peer.tls) as setup:
                await fill_kube(setup, args.apps, clients)
            theirs = Side("kube-apiserver", getter(peer.server, {}, peer.tls), peer.pids)
        rounds = await interleave(matched, kapstan, theirs, args.rounds, per_round, clients)
        extra = [
            await run_target(kapstan, t, args.other_requests, clients)
            for t in kapstan_only(fixture)
        ]
        session = console_session(server.url)
        alone = probe_console(server.url, session, fixture.apps[0])
        count, note = console_plan(alone, cost, args.other_requests, clients)
        apps = fixture.apps
        page = Target(
            "GET /ui/apps/{name} (console page)",
            lambda i: f"/ui/apps/{apps[i % len(apps)]}",
            api=False,
        )
        browser = getter(server.url, {"Cookie": f"{COOKIE}={session}"}, None)
        console = Side("Kapstan console", browser, kapstan.pids)
        extra.append(await run_target(console, page, count, clients, note))
    ours_stats = [summarize(p.ours, rounds[p.ours.label]) for p in matched] + extra
    peer_stats = [summarize(p.theirs, rounds[p.theirs.label]) for p in matched if theirs]
    return Results(ours_stats, peer_stats, rounds, matched)


def run(args: argparse.Namespace, home: Path) -> Results:
    """Both servers up for the whole run (the sandbox starts while Kapstan's store fills)."""
    url = args.db or f"sqlite:///{home / 'kapstan.db'}"
    key = generate_key()
    kubeconfig = unreachable_kubeconfig(home / "kubeconfig-down")
    name = f"bench-api-{os.getpid()}"
    with ThreadPoolExecutor(1) as pool:
        started = time.perf_counter()
        starting = None if args.no_peer else pool.submit(sandbox.up, name, 1, lambda _m: None)
        try:
            with Store.open(url, environ={"KAPSTAN_SECRET_KEY": key}) as store:
                fixture = fill(store, kubeconfig, args.apps)
                cost = cluster_cost(store, fixture.apps[0])
            print(
                f"store {url.split('://')[0]}: {len(fixture.apps)} applications, "
                f"{len(ENVIRONMENTS)} environments and configs, 1 template, "
                f"{len(fixture.apps)} operations; filled in {fixture.seconds:.1f} s"
            )
            with kapstan_server(url, key, home, args.workers) as server:
                peer = None
                if starting is not None:
                    peer = kube_access(starting.result())
                    print(
                        f"peer: sandbox {name} up {time.perf_counter() - started:.1f} s after "
                        f"the start ({peer.server}); {args.apps} ConfigMaps in namespace "
                        f"{NAMESPACE}"
                    )
                results = asyncio.run(load(server, fixture, cost, peer, args))
                each = " + ".join(
                    f"{peak_rss_mib(pid):.0f}" for pid in process_tree(server.process.pid)
                )
            print(f"kapstan server peak RSS (VmHWM), per process of its tree: {each} MiB")
            if any(s.errors for s in results.ours):
                keep_log(server.log)
            if peer is not None:
                print(
                    f"kube-apiserver peak RSS (VmHWM): {peak_rss_mib(peer.pids[0]):.0f} MiB "
                    f"(its etcd besides: {peak_rss_mib(peer.pids[1]):.0f} MiB)"
                )
            return results
        finally:
            if starting is not None:
                with suppress(Exception):  # up failed: said above; stop what it started
                    starting.result()
                sandbox.down(name)


def keep_log(log: Path) -> None:
    """Kapstan answered errors: keep its log (the run's directory goes) and say what failed."""
    kept = Path(tempfile.gettempdir()) / f"bench-api-{os.getpid()}-kapstan-server.log"
    shutil.copyfile(log, kept)
    lines = kept.read_text(errors="replace").splitlines()
    # The line after a traceback's frames names the exception.
    raised = Counter(
        line
        for before, line in itertools.pairwise(lines)
        if before.startswith("    ") and ": " in line and not line.startswith(" ")
    )
    print(f"Kapstan answered errors; its log is kept: {kept}")
    for line, count in raised.most_common(5):
        print(f"  x{count} {line[:300]}")


# --- the report ----------------------------------------------------------------------------


def print_table(title: str, rows: list[Stats]) -> None:
    print(f"\n{title}")
    w = max(len(s.label) for s in rows)
    head = (
        f"{'endpoint':<{w}} {'requests':>8} {'errors':>6} {'median':>8} {'p90':>8} {'p99':>8} "
        f"{'max':>8} {'req/s':>7} {'bytes':>7} {'cpu/req':>7} {'client':>6}  p99<50ms"
    )
    print(head)
    print("-" * len(head))
    for s in rows:
        goal = ("yes" if s.goal else "no") if s.api else "-"
        print(
            f"{s.label:<{w}} {s.requests:>8} {sum(s.errors.values()):>6} {s.median:>8.1f} "
            f"{s.p90:>8.1f} {s.p99:>8.1f} {s.max:>8.1f} {s.throughput:>7.0f} {s.size:>7} "
            f"{s.server_cpu_ms:>7.2f} {s.client_cpu_ms:>6.2f}  {goal}"
        )
    for s in rows:
        if s.errors:
            kinds = ", ".join(f"{kind} x{n}" for kind, n in s.errors.most_common())
            print(f"  ERRORS {s.label}: {kinds}")
        if s.note:
            print(f"  NOTE {s.label}: {s.note}")
    print(
        "(latencies in ms over every counted request of every round; req/s: the median "
        "round's; cpu/req: ms of server CPU per request (Kapstan: its processes; "
        "kube-apiserver: it and its etcd); client: ms of this load generator's CPU per "
        "request; errors = non-2xx answers and transport failures)"
    )


def print_rounds(pair: Pair, rounds: dict[str, list[Round]]) -> None:
    ours, theirs = rounds[pair.ours.label], rounds.get(pair.theirs.label, [])
    print(f"\nrounds, {pair.ours.label}" + (f" vs {pair.theirs.label}" if theirs else ""))
    side = "median    p99  req/s cpu/req"
    print(f"round first          load | Kapstan {side}" + (f" | kube {side}" if theirs else ""))
    for number, mine in enumerate(ours):
        cells = [mine] + ([theirs[number]] if theirs else [])
        first = "Kapstan" if mine.first else "kube-apiserver"
        line = f"{number + 1:>5} {first:<14} {max(r.load for r in cells):>4.1f}"
        for r in cells:
            requests = len(r.tally.latencies)
            line += (
                f" |         {statistics.median(r.tally.latencies):>6.1f} {r.quantile(99):>6.1f} "
                f"{r.throughput:>6.0f} {r.server_cpu * 1000 / requests:>7.2f}"
            )
        print(line)


def goal_line(target: str, rows: list[Stats]) -> None:
    reads = [s for s in rows if s.api]
    worst = max(reads, key=lambda s: s.p99)
    verdict = "yes" if all(s.goal and not s.errors for s in reads) else "no"
    print(
        f"{target}: p99 under {GOAL_MS:.0f} ms for API reads: {verdict} "
        f"(worst p99 {worst.p99:.1f} ms, {worst.label})"
    )


def ratio_lines(results: Results) -> None:
    mine, theirs = {s.label: s for s in results.ours}, {s.label: s for s in results.peer}
    for pair in results.pairs:
        a, b = mine[pair.ours.label], theirs[pair.theirs.label]
        print(
            f"ratio Kapstan/kube-apiserver, {a.label} vs {b.label}: median "
            f"{a.median / b.median:.2f}x, p99 {a.p99 / b.p99:.2f}x, throughput "
            f"{a.throughput / b.throughput:.2f}x, server CPU per request "
            f"{a.server_cpu_ms / b.server_cpu_ms:.2f}x"
        )
    read, configmap = mine[APP_GET], theirs[KUBE_GET]
    checks = (
        ("median", read.median / configmap.median <= TARGET_LATENCY_RATIO),
        ("p99", read.p99 / configmap.p99 <= TARGET_LATENCY_RATIO),
        ("throughput", read.throughput / configmap.throughput >= TARGET_THROUGHPUT_RATIO),
        ("no errors", not read.errors and not configmap.errors),
    )
    print(
        f"targets, one application read vs one ConfigMap read (median and p99 within "
        f"{TARGET_LATENCY_RATIO:g}x, throughput at least {TARGET_THROUGHPUT_RATIO:g}x): "
        + ", ".join(f"{name} {'yes' if met else 'NO'}" for name, met in checks)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requests", type=int, default=2000, help="requests per endpoint (per side), all rounds"
    )
    parser.add_argument(
        "--other-requests",
        type=int,
        default=500,
        help="requests for each Kapstan-only endpoint and the console page (no peer, one round)",
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="what sends the measured GETs: asyncio streams (default; tens of microseconds "
        "of this process's CPU per request) or httpx (milliseconds: earlier runs' figures)",
    )
    parser.add_argument(
        "--rounds", type=int, default=6, help="interleaved rounds per side (order alternates)"
    )
    parser.add_argument("--apps", type=int, default=1000, help="applications in the store")
    parser.add_argument(
        "--db", default=None, help="store URL (an empty PostgreSQL database); default SQLite"
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the kube-apiserver peer")
    parser.add_argument(
        "--workers", type=int, default=2, help="kapstan server worker processes (--workers)"
    )
    args = parser.parse_args()
    if args.clients < 1 or args.rounds < 1 or args.requests // args.rounds < args.clients:
        parser.error("need --clients >= 1, --rounds >= 1 and --requests >= --rounds * --clients")
    if args.other_requests < args.clients:
        parser.error("need --other-requests >= --clients")
    if args.apps < PAGE:
        parser.error(f"need --apps >= {PAGE}")
    started = time.perf_counter()
    before = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {before[0]:.1f} (1 min), "
        f"{before[1]:.1f} (5 min) before the run (it counts everything else on the machine); "
        f"{args.clients} clients, {args.requests} requests per endpoint and side in "
        f"{args.rounds} interleaved rounds of {args.requests // args.rounds}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        results = run(args, Path(tmp))
    after = os.getloadavg()
    print_table(f"Kapstan server (kapstan server --workers {args.workers})", results.ours)
    goal_line("Kapstan", results.ours)
    if results.peer:
        print_table("peer: kube-apiserver of the sandbox (same clients, same run)", results.peer)
        goal_line("kube-apiserver", results.peer)
    for pair in results.pairs:
        print_rounds(pair, results.rounds)
    print(
        f"\nload average {after[0]:.1f} (1 min), {after[1]:.1f} (5 min) after the run "
        f"(before: {before[0]:.1f}, {before[1]:.1f}); run took {time.perf_counter() - started:.0f} s"
    )
    if results.peer:
        ratio_lines(results)


if __name__ == "__main__":
    main()
