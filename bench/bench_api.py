"""Benchmark: a real ``kapstan server`` under load from 50 concurrent clients, read endpoints.

This is a script, not a test. It fills a store through ``kapstan.store.Store`` (not HTTP):
1,000 applications spread over 4 environments, each environment with its own config (20
keys, one of them secret), one template of 3 services, and one finished deploy operation
per application. Then it starts ``kapstan server`` on 127.0.0.1 over that store (SQLite by
default; ``--db URL`` takes the URL of an empty PostgreSQL database instead). Each endpoint
then gets ``--requests`` GETs from ``--clients`` concurrent clients (asyncio + httpx, kept
alive). A warm-up round of one request per client opens the connections and is not
counted. The names in the paths rotate over the applications and configs.

    python bench/bench_api.py [--requests 2000] [--clients 50] [--apps 1000] [--workers 2]
                              [--db postgresql+psycopg://...] [--no-peer]

The server runs ``--workers`` uvicorn processes (``kapstan server --workers N``; default 2,
one per core of the machine the targets were set on).

API reads send an admin's bearer token. The console's application page uses a session
from the login form, which is posted with its CSRF token. The environments' kubeconfig
names a cluster on a closed port of 127.0.0.1, as if the cluster were down. The console
page reads the cluster (live status, diagnosis), so those two reads are also timed in this
process, wall clock against CPU. If they wait (more than a second of wall time beyond
their CPU time), the page is still measured, with fewer requests so that the run stays
bounded, and the output says so. A ``/healthz`` row (no store, no auth) shows the floor of
the server and this load generator.

Printed per endpoint: requests, errors (any non-2xx status or transport failure), median,
p90, p99 and max latency in ms, throughput, and the response size. Also printed: the
server's peak RSS (VmHWM) after the load, and one line per target saying whether p99 is
under 50 ms for API reads.

Peer in the same run: the kube-apiserver of the project's sandbox under the same load
(same clients, same number of requests), using the client certificates from the sandbox's
kubeconfig. It is asked for one ConfigMap among 1,000 in a namespace, and for the first
page of 50 of them. The script prints the ratios Kapstan / kube-apiserver of the medians,
the p99s and the throughputs for the matching pairs, and whether the application read meets
its targets (median and p99 within 2x the ConfigMap read's, at least half its throughput). The load generator runs in this process on the same
shared cores as the servers, for both targets alike.
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


# --- the load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    label: str
    path: Callable[[int], str]  # request number -> path
    api: bool = True  # counts toward "p99 under 50 ms for API reads"


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
    throughput: float
    size: int
    note: str = ""

    @property
    def goal(self) -> bool:
        return self.p99 < GOAL_MS


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    size: int = 0


async def one(client: httpx.AsyncClient, path: str, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        response = await client.get(path)
    except httpx.HTTPError as exc:
        tally.latencies.append((time.perf_counter() - started) * 1000)
        tally.errors[type(exc).__name__] += 1
        return
    tally.latencies.append((time.perf_counter() - started) * 1000)
    if 200 <= response.status_code < 300:
        tally.size = len(response.content)
    else:
        tally.errors[str(response.status_code)] += 1


async def hammer(client: httpx.AsyncClient, target: Target, requests: int, clients: int) -> Tally:
    """``requests`` GETs shared by ``clients`` workers, each sending its next one on an answer."""
    numbers = itertools.count()  # one event loop: next() needs no lock
    tally = Tally()

    async def worker() -> None:
        while (number := next(numbers)) < requests:
            await one(client, target.path(number), tally)

    await asyncio.gather(*(worker() for _ in range(clients)))
    return tally


def summarize(target: Target, tally: Tally, elapsed: float, note: str = "") -> Stats:
    cuts = statistics.quantiles(tally.latencies, n=100, method="inclusive")
    return Stats(
        target.label,
        target.api,
        len(tally.latencies),
        tally.errors,
        statistics.median(tally.latencies),
        cuts[89],
        cuts[98],
        max(tally.latencies),
        len(tally.latencies) / elapsed,
        tally.size,
        note,
    )


async def run_target(
    client: httpx.AsyncClient, target: Target, requests: int, clients: int, note: str = ""
) -> Stats:
    await hammer(client, target, clients, clients)  # warm-up: open the keep-alive connections
    started = time.perf_counter()
    tally = await hammer(client, target, requests, clients)
    return summarize(target, tally, time.perf_counter() - started, note)


def async_client(base_url: str, clients: int, **options: Any) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    return httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT, follow_redirects=False, **options
    )


# --- Kapstan's targets ---------------------------------------------------------------------


def api_targets(fixture: Fixture) -> list[Target]:
    apps, configs, pages = fixture.apps, fixture.configs, max(1, len(fixture.apps) // PAGE)
    return [
        Target(KAPSTAN_FLOOR, lambda _i: "/healthz", api=False),
        Target(
            APP_PAGE, lambda i: f"/api/v1/applications?limit={PAGE}&offset={(i % pages) * PAGE}"
        ),
        Target(APP_GET, lambda i: f"/api/v1/applications/{apps[i % len(apps)]}"),
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


async def load_kapstan(
    server: Server, fixture: Fixture, cost: ClusterCost, requests: int, clients: int
) -> list[Stats]:
    found: list[Stats] = []
    auth = {"Authorization": f"Bearer {fixture.token}"}
    async with async_client(server.url, clients, headers=auth) as client:
        for target in api_targets(fixture):
            found.append(await run_target(client, target, requests, clients))
    session = console_session(server.url)
    alone = probe_console(server.url, session, fixture.apps[0])
    count, note = console_plan(alone, cost, requests, clients)
    apps = fixture.apps
    page = Target(
        "GET /ui/apps/{name} (console page)", lambda i: f"/ui/apps/{apps[i % len(apps)]}", api=False
    )
    async with async_client(server.url, clients, cookies={COOKIE: session}) as client:
        found.append(await run_target(client, page, count, clients, note))
    return found


def measure_kapstan(
    db: str | None, args: argparse.Namespace, home: Path
) -> tuple[list[Stats], list[float]]:
    url = db or f"sqlite:///{home / 'kapstan.db'}"
    key = generate_key()
    kubeconfig = unreachable_kubeconfig(home / "kubeconfig-down")
    with Store.open(url, environ={"KAPSTAN_SECRET_KEY": key}) as store:
        fixture = fill(store, kubeconfig, args.apps)
        cost = cluster_cost(store, fixture.apps[0])
    print(
        f"store {url.split('://')[0]}: {len(fixture.apps)} applications, {len(ENVIRONMENTS)} "
        f"environments and configs, 1 template, {len(fixture.apps)} operations; filled in "
        f"{fixture.seconds:.1f} s"
    )
    with kapstan_server(url, key, home, args.workers) as server:
        stats = asyncio.run(load_kapstan(server, fixture, cost, args.requests, args.clients))
        rss = [peak_rss_mib(pid) for pid in process_tree(server.process.pid)]
    return stats, rss


# --- the peer: kube-apiserver --------------------------------------------------------------


@dataclass(frozen=True)
class KubeAccess:
    server: str
    tls: ssl.SSLContext


def kube_access(state: sandbox.SandboxState) -> KubeAccess:
    """The sandbox's admin client certificate, and its CA, from its kubeconfig."""
    config = yaml.safe_load(state.kubeconfig.read_text())
    cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
    tls = ssl.create_default_context(cafile=cluster["certificate-authority"])
    tls.load_cert_chain(user["client-certificate"], user["client-key"])
    return KubeAccess(cluster["server"], tls)


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


async def load_kube(access: KubeAccess, count: int, requests: int, clients: int) -> list[Stats]:
    base = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
    targets = [
        Target(KUBE_FLOOR, lambda _i: "/healthz", api=False),
        Target(KUBE_GET, lambda i: f"{base}/app-{i % count:04d}"),
        Target(KUBE_PAGE, lambda _i: f"{base}?limit={PAGE}"),
    ]
    async with async_client(access.server, clients, verify=access.tls) as client:
        await fill_kube(client, count, clients)
        return [await run_target(client, target, requests, clients) for target in targets]


def measure_peer(args: argparse.Namespace) -> tuple[list[Stats], float, float]:
    """The kube-apiserver's figures, its peak RSS and etcd's (the store it stands on)."""
    name = f"bench-api-{os.getpid()}"
    started = time.perf_counter()
    state = sandbox.up(name, nodes=1, progress=lambda _m: None)
    try:
        print(
            f"peer: sandbox {name} up in {time.perf_counter() - started:.1f} s "
            f"({state.server}); {args.apps} ConfigMaps in namespace {NAMESPACE}"
        )
        stats = asyncio.run(load_kube(kube_access(state), args.apps, args.requests, args.clients))
        pids = {p.component: p.pid for p in state.processes}
        return stats, peak_rss_mib(pids["kube-apiserver"]), peak_rss_mib(pids["etcd"])
    finally:
        sandbox.down(name)


# --- the report ----------------------------------------------------------------------------


def print_table(title: str, rows: list[Stats]) -> None:
    # The machine may be shared: the load when each table is printed says how busy it was.
    print(f"\n{title} (load average {os.getloadavg()[0]:.1f} after the load)")
    w = max(len(s.label) for s in rows)
    head = (
        f"{'endpoint':<{w}} {'requests':>8} {'errors':>6} {'median':>8} {'p90':>8} {'p99':>8} "
        f"{'max':>8} {'req/s':>7} {'bytes':>7}  p99<50ms"
    )
    print(head)
    print("-" * len(head))
    for s in rows:
        goal = ("yes" if s.goal else "no") if s.api else "-"
        print(
            f"{s.label:<{w}} {s.requests:>8} {sum(s.errors.values()):>6} {s.median:>8.1f} "
            f"{s.p90:>8.1f} {s.p99:>8.1f} {s.max:>8.1f} {s.throughput:>7.0f} {s.size:>7}  {goal}"
        )
    for s in rows:
        if s.errors:
            kinds = ", ".join(f"{kind} x{n}" for kind, n in s.errors.most_common())
            print(f"  ERRORS {s.label}: {kinds}")
        if s.note:
            print(f"  NOTE {s.label}: {s.note}")
    print("(latencies in ms; errors = non-2xx answers and transport failures)")


def goal_line(target: str, rows: list[Stats]) -> None:
    reads = [s for s in rows if s.api]
    worst = max(reads, key=lambda s: s.p99)
    verdict = "yes" if all(s.goal and not s.errors for s in reads) else "no"
    print(
        f"{target}: p99 under {GOAL_MS:.0f} ms for API reads: {verdict} "
        f"(worst p99 {worst.p99:.1f} ms, {worst.label})"
    )


def ratio_lines(ours: list[Stats], peer: list[Stats]) -> None:
    mine, theirs = {s.label: s for s in ours}, {s.label: s for s in peer}
    for a, b in ((APP_GET, KUBE_GET), (APP_PAGE, KUBE_PAGE), (KAPSTAN_FLOOR, KUBE_FLOOR)):
        print(
            f"ratio Kapstan/kube-apiserver, {a} vs {b}: median "
            f"{mine[a].median / theirs[b].median:.2f}x, p99 {mine[a].p99 / theirs[b].p99:.2f}x, "
            f"throughput {mine[a].throughput / theirs[b].throughput:.2f}x"
        )
    read, configmap = mine[APP_GET], theirs[KUBE_GET]
    checks = (
        ("median", read.median / configmap.median <= TARGET_LATENCY_RATIO),
        ("p99", read.p99 / configmap.p99 <= TARGET_LATENCY_RATIO),
        ("throughput", read.throughput / configmap.throughput >= TARGET_THROUGHPUT_RATIO),
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
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--apps", type=int, default=1000, help="applications in the store")
    parser.add_argument(
        "--db", default=None, help="store URL (an empty PostgreSQL database); default SQLite"
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the kube-apiserver peer")
    parser.add_argument(
        "--workers", type=int, default=2, help="kapstan server worker processes (--workers)"
    )
    args = parser.parse_args()
    if args.requests < args.clients or args.clients < 1 or args.apps < PAGE:
        parser.error(f"need --clients >= 1, --requests >= --clients and --apps >= {PAGE}")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"{args.clients} clients, {args.requests} requests per endpoint (the load average "
        "counts everything else running on this machine too)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        ours, rss = measure_kapstan(args.db, args, Path(tmp))
    print_table(f"Kapstan server (kapstan server --workers {args.workers})", ours)
    each = " + ".join(f"{mib:.0f}" for mib in rss)
    print(f"kapstan server peak RSS (VmHWM) after the load, per process of its tree: {each} MiB")
    goal_line("Kapstan", ours)
    if args.no_peer:
        return
    peer, apiserver_rss, etcd_rss = measure_peer(args)
    print_table("peer: kube-apiserver of the sandbox (same clients, same requests)", peer)
    print(
        f"kube-apiserver peak RSS (VmHWM): {apiserver_rss:.0f} MiB (its etcd besides: {etcd_rss:.0f} MiB)"
    )
    goal_line("kube-apiserver", peer)
    ratio_lines(ours, peer)


if __name__ == "__main__":
    main()
