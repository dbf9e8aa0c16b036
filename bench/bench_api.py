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
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import yaml

from kapstan import sandbox
from kapstan.actions.diagnose import diagnose
from kapstan.actions.status import app_status
from kapstan.errors import KapstanError
from kapstan.model.operation import Step
from kapstan.model.values import SecretValue, Value
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from kapstan.templates.content import template_digest
from kapstan.web.sessions import COOKIE

ENVIRONMENTS = ("dev", "qa", "staging", "prod")
ADMIN, CONSOLE_USER, CONSOLE_PASSWORD = "root", "ops", "bench-console-password"
GOAL_MS = 50.0
WAIT_MS = 1000.0  # the page's cluster reads spend this much more wall than CPU time: they wait
SLOW_PAGE_ROUNDS = 5  # ...and then the page gets this many requests per client, not --requests
START_TIMEOUT = 180.0  # each worker is a new Python importing Kapstan; slow on a busy machine
TARGET_LATENCY_RATIO, TARGET_THROUGHPUT_RATIO = 2.0, 0.5
REQUEST_TIMEOUT = 120.0
PAGE = 50
NAMESPACE = "bench"
APP_GET, APP_PAGE = "GET /api/v1/applications/{name}", "GET /api/v1/applications?limit=50 (a page)"
KUBE_GET = "GET /api/v1/namespaces/bench/configmaps/{name}"
KUBE_PAGE = "GET /api/v1/namespaces/bench/configmaps?limit=50"
KAPSTAN_FLOOR, KUBE_FLOOR = "GET /healthz (floor: no store, no auth)", "GET /healthz (floor)"

KAPSTAN_YAML = """\
name: shop
services:
  db:
    manifests: [db.yaml]
    env: [{db.password: POSTGRES_PASSWORD}]
  api:
    manifests: [api.yaml]
    dependsOn: [db]
    calls: [db]
    env: [{db.password: DB_PASSWORD}, {log.level: LOG_LEVEL}]
  web:
    manifests: [web.yaml]
    dependsOn: [api]
    calls: [api]
config:
  log.level: info
"""

WORKLOAD = """\
apiVersion: apps/v1
kind: {kind}
metadata: {{name: {name}}}
spec:
  replicas: ${{{name}.replicas:-1}}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: {name}
          image: "shop/{name}:${{{name}.tag:-1.0}}"
          resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{memory: 256Mi}}}}
"""

FILES = {
    "kapstan.yaml": KAPSTAN_YAML,
    "db.yaml": WORKLOAD.format(kind="StatefulSet", name="db").replace(
        "  selector:", "  serviceName: db\n  selector:"
    ),
    "api.yaml": WORKLOAD.format(kind="Deployment", name="api"),
    "web.yaml": WORKLOAD.format(kind="Deployment", name="web"),
}
SERVICES = ("db", "api", "web")


# --- the store -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    apps: list[str]
    configs: list[str]
    token: str
    seconds: float


def unreachable_kubeconfig(path: Path) -> Path:
    """A kubeconfig that loads, whose server is a port nobody listens on (a cluster that is down)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "down",
        "clusters": [{"name": "down", "cluster": {"server": f"https://127.0.0.1:{free_port()}"}}],
        "users": [{"name": "down", "user": {"token": "none"}}],
        "contexts": [{"name": "down", "context": {"cluster": "down", "user": "down"}}],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def config_values(env: str) -> dict[str, Value]:
    values: dict[str, Value] = {f"feature.{i}": f"{env}-value-{i}" for i in range(15)}
    values.update({"log.level": "info", "api.replicas": 2, "web.replicas": 2, "api.tag": "1.4"})
    values["db.password"] = SecretValue(f"{env}-secret-password")
    return values


def fill(store: Store, kubeconfig: Path, count: int) -> Fixture:
    started = time.perf_counter()
    store.save_template_version("shop", FILES, template_digest(FILES), author="bench")
    for env in ENVIRONMENTS:
        store.create_config(env, config_values(env), author="bench", message="bench sizing")
        store.create_environment(
            env, kubeconfig=str(kubeconfig), context=None, namespace=env, config=env
        )
    apps = [f"app-{i:04d}" for i in range(count)]
    for i, name in enumerate(apps):
        env = ENVIRONMENTS[i % len(ENVIRONMENTS)]
        store.create_application(
            name,
            template="shop",
            template_version=1,
            environment=env,
            config=env,
            config_version=None,
        )
        operation = store.start_operation(name, "deploy", author="bench", services=SERVICES)
        store.finish_operation(operation.id, Step.SUCCEEDED, "deployed")
    store.create_user(ADMIN, password=None, admin=True)
    token = store.create_token(ADMIN, description="bench")[0]
    store.create_user(CONSOLE_USER, password=CONSOLE_PASSWORD, admin=True)
    return Fixture(apps, list(ENVIRONMENTS), token, time.perf_counter() - started)


# --- the server process --------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def kapstan_command() -> str:
    beside = Path(sys.executable).with_name("kapstan")
    found = str(beside) if beside.exists() else shutil.which("kapstan")
    if found is None:
        raise SystemExit("no `kapstan` command: install the package (pip install -e .)")
    return found


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"kapstan server exited: {server.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"kapstan server not ready in {START_TIMEOUT} s: {server.log.read_text()[-3000:]}"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)


@contextmanager
def kapstan_server(db: str, key: str, logs: Path, workers: int) -> Iterator[Server]:
    """``kapstan server`` on 127.0.0.1 over ``db``, logging to a file; stopped by pid at the end."""
    # Only our own settings: a KAPSTAN_DB or KAPSTAN_SERVER of the caller's shell must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAPSTAN_")}
    env["KAPSTAN_SECRET_KEY"] = key
    port, log = free_port(), logs / "kapstan-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(kapstan_command(), "server", "--db", db, "--host", "127.0.0.1"),
                *("--port", str(port), "--workers", str(workers)),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        server = Server(process, port, log)
        wait_ready(server)
        yield server
    finally:
        stop(process)


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (uvicorn's worker processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(c) for c in children.read_text().split())] if children.exists() else [pid]


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the most resident memory the process has had since it started."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def cpu_seconds(pids: tuple[int, ...]) -> float:
    """User + system CPU the processes have used so far (a process gone counts nothing)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is field 3
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15
    return total / os.sysconf("SC_CLK_TCK")


# --- the load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    label: str
    path: Callable[[int], str]  # request number -> path
    api: bool = True  # counts toward "p99 under 50 ms for API reads"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    size: int = 0


class Getter(Protocol):
    """What the measured requests go through: ``get(slot, path)`` on the slot-th connection
    (one per concurrent client), answering the status and the body's size."""

    async def get(self, slot: int, path: str) -> tuple[int, int]: ...

    async def aclose(self) -> None: ...


LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)")


class Connection:
    """One kept-alive HTTP/1.1 connection that sends GETs and reads their answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.usable = True

    @classmethod
    async def open(cls, host: str, port: int, tls: ssl.SSLContext | None) -> Connection:
        reader, writer = await asyncio.open_connection(
            host, port, ssl=tls, server_hostname=host if tls else None, limit=1 << 20
        )
        return cls(reader, writer)

    async def get(self, request: bytes) -> tuple[int, int]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status, lower = int(head[9:12]), head.lower()
        length = LENGTH.search(lower)
        if length is not None:
            size = len(await self.reader.readexactly(int(length[1])))
        elif b"\r\ntransfer-encoding: chunked" in lower:
            size = await self._chunks()
        else:
            raise ValueError(f"an answer with neither Content-Length nor chunks: {head[:200]!r}")
        if b"\r\nconnection: close" in lower:
            self.close()
        return status, size

    async def _chunks(self) -> int:
        size = 0
        while chunk := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            size += len(await self.reader.readexactly(chunk + 2)) - 2
        await self.reader.readuntil(b"\r\n")  # no trailers are sent: the empty line
        return size

    def close(self) -> None:
        self.usable = False
        self.writer.close()


class RawClient:
    """GETs over one kept-alive HTTP/1.1 connection per concurrent client, on asyncio streams.

    The measured requests go through this rather than httpx, which spent 4 to 13 ms of this
    process's CPU per request (more than either server): the load generator, not the
    servers, set both sides' figures. This costs a few tens of microseconds.
    """

    def __init__(
        self,
        url: str,
        clients: int,
        headers: dict[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"{url}: no host and port")
        self.host, self.port, self.tls = parts.hostname, parts.port, tls
        fields = {"Host": parts.netloc, "Accept": "application/json", **(headers or {})}
        self._head = "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
        self._connections: list[Connection | None] = [None] * clients

    async def get(self, slot: int, path: str) -> tuple[int, int]:
        connection = self._connections[slot]
        # A connection the server closed while idle (keep-alive timeout) is opened again.
        if connection is None or not connection.usable or connection.reader.at_eof():
            connection = await Connection.open(self.host, self.port, self.tls)
            self._connections[slot] = connection
        try:
            return await connection.get(f"GET {path} HTTP/1.1\r\n{self._head}".encode())
        except BaseException:
            connection.close()
            raise

    async def aclose(self) -> None:
        for connection in self._connections:
            if connection is not None:
                connection.close()


class HttpxClient:
    """The same requests through httpx (``--client httpx``: the load generator of earlier runs)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, slot: int, path: str) -> tuple[int, int]:
        response = await self.client.get(path)
        return response.status_code, len(response.content)

    async def aclose(self) -> None:
        await self.client.aclose()


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


async def one(client: Getter, slot: int, path: str, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            status, size = await client.get(slot, path)
    except (httpx.HTTPError, OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
        # TimeoutError is an OSError; asyncio.IncompleteReadError an EOFError
        tally.latencies.append((time.perf_counter() - started) * 1000)
        tally.errors[type(exc).__name__] += 1
        return
    tally.latencies.append((time.perf_counter() - started) * 1000)
    if 200 <= status < 300:
        tally.size = size
    else:
        tally.errors[str(status)] += 1


async def hammer(
    client: Getter, target: Target, requests: int, clients: int, first: int = 0
) -> Tally:
    """``requests`` GETs shared by ``clients`` workers, each sending its next one on an answer.

    ``first``: the number of the first request, so that successive rounds rotate the names.
    """
    numbers = itertools.count(first)  # one event loop: next() needs no lock
    end = first + requests
    tally = Tally()

    async def worker(slot: int) -> None:
        while (number := next(numbers)) < end:
            await one(client, slot, target.path(number), tally)

    await asyncio.gather(*(worker(slot) for slot in range(clients)))
    return tally


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


def async_client(base_url: str, clients: int, **options: Any) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    return httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT, follow_redirects=False, **options
    )


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


# --- the peer: kube-apiserver --------------------------------------------------------------


@dataclass(frozen=True)
class KubeAccess:
    server: str
    tls: ssl.SSLContext
    pids: tuple[int, int]  # kube-apiserver's and its etcd's: the server's CPU counts both


def kube_access(state: sandbox.SandboxState) -> KubeAccess:
    """The sandbox's admin client certificate, and its CA, from its kubeconfig."""
    config = yaml.safe_load(state.kubeconfig.read_text())
    cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
    tls = ssl.create_default_context(cafile=cluster["certificate-authority"])
    tls.load_cert_chain(user["client-certificate"], user["client-key"])
    pids = {p.component: p.pid for p in state.processes}
    return KubeAccess(cluster["server"], tls, (pids["kube-apiserver"], pids["etcd"]))


def configmap(i: int) -> dict[str, Any]:
    """About the size and shape of an application record: a few names and versions, some keys."""
    env = ENVIRONMENTS[i % len(ENVIRONMENTS)]
    data = {
        "template": "shop",
        "templateVersion": "1",
        "environment": env,
        "config": env,
        "services": "db,api,web",
        **{f"feature.{k}": f"{env}-value-{k}" for k in range(8)},
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"app-{i:04d}", "labels": {"env": env}},
        "data": data,
    }


async def fill_kube(client: httpx.AsyncClient, count: int, clients: int) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    (await client.post("/api/v1/namespaces", json=namespace)).raise_for_status()
    numbers = itertools.count()

    async def worker() -> None:
        while (i := next(numbers)) < count:
            answer = await client.post(
                f"/api/v1/namespaces/{NAMESPACE}/configmaps", json=configmap(i)
            )
            answer.raise_for_status()

    await asyncio.gather(*(worker() for _ in range(clients)))


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
