"""Benchmark: deploying one application with Kapstan, kubectl and helm, on one sandbox.

A script, not a test. It starts its own sandbox (a unique name, the apiserver's audit log
on, torn down at the end) and deploys the SAME rendered objects with three tools, each
into a fresh namespace per tool per round, tools interleaved (their order rotates from one
round to the next), every process bounded by ``--timeout``:

  kapstan  ``kapstan app deploy APP --yes`` through the local CLI on a temporary SQLite
           store, as a user would (template, config, environment and application are made
           beforehand with the same CLI, in process, and are not timed)
  kubectl  ``kubectl apply --server-side -f app.yaml`` then
           ``kubectl wait --for=condition=Available deployment --all``
  helm     ``helm install --wait`` of a chart whose templates are the rendered manifests
           (``helm upgrade --wait`` for the change)
  kapstan-server
           the same ``kapstan app deploy APP --yes``, through a ``kapstan server`` on the
           same store (``--server URL --token T``), as a team with a Kapstan server deploys:
           the server is started once, before the rounds (``--drift-interval 0``: no
           background check in the measured namespaces), the CLI started per run; its
           CPU is the client's plus the server's during the run, its peak RSS the client's

The objects are what Kapstan renders for the application (``render_application``), with
their namespace taken out for kubectl and helm (``-n``). Each service is a ConfigMap, a
Secret, a Service and a Deployment of one replica; the sandbox's kwok makes its pod
Running and Ready as soon as it is scheduled, the same for every tool.

Scenarios:
  independent  (a) ``--services`` independent services (50: 200 objects)
  chain        (b) ``--depth`` levels of ``--per-level`` services (5 x 10); each service
               dependsOn every service of the level before (kubectl and helm know no order)
  change       (c) after (a), in the same namespace: one config key of one service changed
               (``kapstan config set`` + ``app update``, then the timed deploy; kubectl and
               helm get the re-rendered objects)
  scale        Kapstan alone: ``--scale-services`` services (500: 2,000 objects), its time
               and peak memory against the 300 MB target

Figures per run, from outside the tools:
  ready     start of the tool's process to the end of its (last) process: it says ready
  applied   start to the moment the last object got its first write (the response's
            completion time in the apiserver's audit log)
  first     start to the tool's first request (process start-up, imports, discovery)
  requests  every request the tool made, counted exactly in the audit log (policy: every
            request at Metadata level), by the tool's user agent, between two marker
            requests the benchmark sends before and after the run; a watch counts once
  writes    successful non-dry-run create/update/patch/delete in the namespace; written
            objects are the distinct ones (helm's also include its release Secret)
  peak RSS  the high-water RSS of the tool's process and its children (wait4's
            ru_maxrss, as GNU time reports it: the process is started by /usr/bin/time, so
            the high-water mark is not the benchmark's own, copied at fork); for kubectl
            the larger of its two processes
For the chain, a watch of the namespace's Deployments (the benchmark's own, not counted)
times each level: its readiness time is from its first object written to its last
Deployment rolled out; "gap" is from the level before being ready to this level's first
write.

Targets, for each way Kapstan runs: (a) its ready <= 0.7x kubectl's and <= 0.5x helm's
(medians; one below the cluster's floor, ``cluster_floor``, is also reported unreachable);
(b) Kapstan's ready <= the sum of its per-level readiness times + 0.2 s per level;
(c) Kapstan writes only the changed service's objects. Scale: peak RSS < 300 MB.

    python bench/bench_deploy.py [--rounds 3] [--services 50] [--depth 5] [--per-level 10]
        [--scenario independent chain change | --scenario scale]
        [--tools kapstan kubectl helm kapstan-server] [--json]

Run it from a checkout: the Kapstan it measures is the one this Python imports (set
PYTHONPATH to measure another tree). kubectl comes from the sandbox's build, helm from
``ensure_helm`` (both built from Go modules, cached).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import apiservers  # bench/apiservers.py: kapstan server processes, /proc figures
import deploykit as kit  # bench/deploykit.py, beside this script
import httpx
import yaml
from deployreport import (  # bench/deployreport.py: the runs' records and the report
    OURS,
    UPSTREAM_CONTROLLER_QPS,
    Level,
    Run,
    cluster_floor,
    fmt,
    summary,
    table,
    targets,
)

import kapstan
from kapstan import sandbox
from kapstan.actions.rendering import render_application
from kapstan.cli.main import main as kapstan_main
from kapstan.importers.helmbin import ensure_helm
from kapstan.store import Store
from kapstan.store.crypto import generate_key

TOOLS = ("kapstan", "kubectl", "helm", "kapstan-server")
AGENTS = {
    "kapstan": re.compile(r"^(python-httpx|kapstan)"),  # lightkube's httpx2 client
    "kapstan-server": re.compile(r"^(python-httpx|kapstan)"),  # the server's, the same
    "kubectl": re.compile(r"^kubectl"),
    "helm": re.compile(r"^helm", re.IGNORECASE),
}
BENCH_AGENT = "bench-deploy-observer"
# kube-controller-manager's deployment controller: it writes each Deployment's status, so
# its client rate limit (--kube-api-qps, 20/s by default) bounds how soon many Deployments
# say Available, whichever tool applied them.
DEPLOYMENT_CONTROLLER = re.compile(r"kube-controller-manager.*/deployment-controller$")
CONFIG = "bench"
RELEASE = "bench"
PODS_PER_NODE = 100  # the sandbox's fake nodes take 110
AUDIT_WAIT = 30.0
NAMESPACE_GONE_WAIT = 300.0


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the cluster, seen by the benchmark ----------------------------------------------------


class Cluster:
    """The sandbox's apiserver, for the benchmark's own requests (user agent BENCH_AGENT)."""

    def __init__(self, state: sandbox.SandboxState) -> None:
        config = yaml.safe_load(state.kubeconfig.read_text())
        cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
        self.ctx = ssl.create_default_context(cafile=cluster["certificate-authority"])
        self.ctx.load_cert_chain(user["client-certificate"], user["client-key"])
        self.server = state.server
        self.kubeconfig = state.kubeconfig
        self.processes = list(state.processes)
        self.audit = AuditLog(state.audit_log)
        self.http = self.client()

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.server,
            verify=self.ctx,
            timeout=httpx.Timeout(30.0),
            headers={"User-Agent": BENCH_AGENT},
        )

    def close(self) -> None:
        self.http.close()

    def create_namespace(self, name: str) -> None:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        r = self.http.post("/api/v1/namespaces", json=body)
        if r.status_code != 201:
            raise RuntimeError(f"creating namespace {name}: HTTP {r.status_code} {r.text[:300]}")

    def delete_namespace(self, name: str) -> float:
        """Delete and wait until it is gone (bounded); the seconds it took."""
        started = time.monotonic()
        self.http.delete(f"/api/v1/namespaces/{name}")
        while time.monotonic() - started < NAMESPACE_GONE_WAIT:
            if self.http.get(f"/api/v1/namespaces/{name}").status_code == 404:
                return time.monotonic() - started
            time.sleep(0.2)
        say(f"  namespace {name} still terminating after {NAMESPACE_GONE_WAIT:.0f} s; going on")
        return time.monotonic() - started

    def cpu_seconds(self) -> float:
        """CPU (user + system) the sandbox's processes have used so far: apiserver, etcd,
        controllers, scheduler, kwok. They share this machine's cores with the tool."""
        return apiservers.cpu_seconds(tuple(rec.pid for rec in self.processes))

    def idle_cpu_rate(self, seconds: float = 5.0) -> float:
        """The sandbox's CPU per second while nothing is deployed (leases, controller loops)."""
        before, started = self.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        return (self.cpu_seconds() - before) / (time.monotonic() - started)

    def mark(self) -> int:
        """Send a marker request and return the audit log's offset just after it."""
        marker = uuid.uuid4().hex
        self.http.get("/version", params={"bench-marker": marker})
        return self.audit.offset_after(marker)


class AuditLog:
    """The apiserver's audit log, read between two marker requests."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def offset_after(self, marker: str) -> int:
        deadline = time.monotonic() + AUDIT_WAIT
        while time.monotonic() < deadline:
            data = self.path.read_bytes() if self.path.exists() else b""
            at = data.rfind(marker.encode())
            if at >= 0:
                end = data.find(b"\n", at)
                if end >= 0:
                    return end + 1
            time.sleep(0.05)
        raise RuntimeError(f"marker {marker} never reached the audit log {self.path}")

    def between(self, start: int, end: int) -> list[dict[str, Any]]:
        with self.path.open("rb") as f:
            f.seek(start)
            return kit.audit_events(f.read(end - start).decode(errors="replace"))


class DeploymentWatch:
    """When each Deployment of a namespace is first rolled out (a new generation, if it had one)."""

    def __init__(self, cluster: Cluster, namespace: str) -> None:
        self.http = cluster.client()
        self.path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
        self.ready: dict[str, float] = {}
        self.error = ""
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._response: httpx.Response | None = None
        listed = self.http.get(self.path).json()
        self.initial = {
            d["metadata"]["name"]: d["metadata"].get("generation", 0) for d in listed["items"]
        }
        self._thread = threading.Thread(
            target=self._run, args=(listed["metadata"]["resourceVersion"],), daemon=True
        )
        self._thread.start()
        if not self._opened.wait(30.0):
            raise RuntimeError(f"the watch of {self.path} did not open: {self.error}")

    def _run(self, version: str) -> None:
        params = {"watch": "1", "resourceVersion": version, "timeoutSeconds": "3600"}
        try:
            with self.http.stream(
                "GET", self.path, params=params, timeout=httpx.Timeout(30.0, read=None)
            ) as response:
                self._response = response
                self._opened.set()
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line:
                        self._seen(json.loads(line), time.time())
        except Exception as exc:  # whatever it is, it is reported with the run
            if not self._stop.is_set():
                self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._opened.set()

    def _seen(self, event: dict[str, Any], at: float) -> None:
        obj = event.get("object") or {}
        name = (obj.get("metadata") or {}).get("name", "")
        if event.get("type") not in ("ADDED", "MODIFIED") or name in self.ready:
            return
        newer = obj["metadata"].get("generation", 0) > self.initial.get(name, 0)
        if newer and kit.deployment_ready(obj):
            self.ready[name] = at

    def stop(self) -> None:
        """End the watch from this thread: shut its socket down, let the reader close it.

        Closing it here instead would free its descriptor while the reader still blocks on
        it; the next watch's socket may get the same number, and two readers share a stream.
        """
        self._stop.set()
        if self._response is not None:
            stream = self._response.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
        self._thread.join(30.0)
        if self._thread.is_alive():
            raise RuntimeError(f"the watch of {self.path} did not end")
        self.http.close()


# --- running a tool ------------------------------------------------------------------------


@dataclass
class Proc:
    argv: list[str]
    code: int
    started: float  # epoch seconds
    ended: float
    max_rss_kb: int
    cpu_s: float  # user + system, the process and its children


def gnu_time() -> str:
    found = shutil.which("time", path="/usr/bin:/bin") or ""
    if not found:
        raise RuntimeError(
            "GNU time (/usr/bin/time) measures the tools' peak memory: apt-get install time "
            "(scripts/setup.sh installs it)"
        )
    return found


def run_process(argv: Sequence[str], env: dict[str, str], log: Path, timeout: float) -> Proc:
    """Run ``argv`` to its end (killed after ``timeout``): its exit time, and its peak RSS.

    A child forked from this big Python process would start with this process's RSS as its
    high-water mark (Linux keeps it across exec), so GNU time, a small process, starts the
    tool and reports the tool's own ru_maxrss (children included) in a file.
    """
    done: dict[str, Any] = {}
    rss_file = log.with_name(f"rss-{uuid.uuid4().hex}")
    timed = [gnu_time(), "-q", "-f", "%M %U %S", "-o", str(rss_file), *argv]
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(argv)}\n".encode())
        out.flush()
        started = time.time()
        child = subprocess.Popen(
            timed, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

        def reap() -> None:
            _pid, status = os.waitpid(child.pid, 0)
            done.update(ended=time.time(), status=status)

        waiter = threading.Thread(target=reap, daemon=True)
        waiter.start()
        waiter.join(timeout)
        if waiter.is_alive():
            child.kill()
            waiter.join(30.0)
            say(f"  killed after {timeout:.0f} s: {' '.join(argv)} (log {log})")
    code = os.waitstatus_to_exitcode(done["status"]) if "status" in done else -9
    child.returncode = code  # reaped above: Popen must not wait for it again
    # A killed tool leaves GNU time's "Command terminated..." line before the figures.
    figures = rss_file.read_text().splitlines()[-1].split() if rss_file.exists() else []
    rss_file.unlink(missing_ok=True)
    max_rss, cpu = 0, 0.0
    with contextlib.suppress(ValueError, IndexError):
        max_rss, cpu = int(figures[0]), float(figures[1]) + float(figures[2])
    return Proc(list(argv), code, started, done.get("ended", time.time()), max_rss, cpu)


@dataclass
class Work:
    """Where a run's inputs live: the kubectl file, the helm chart, the Kapstan app."""

    kubectl_file: Path
    chart: Path
    template: str
    app: str
    objects: list[kit.ObjectKey]  # the application's objects: "applied" is about these
    must_write: list[kit.ObjectKey]  # all of them for a first deploy, none for a change
    levels: list[list[str]]
    ready_needed: list[str]  # Deployments whose rollout the run waits for
    change: bool = False


class Bench:
    def __init__(self, args: argparse.Namespace, state: sandbox.SandboxState, root: Path) -> None:
        self.args = args
        self.cluster = Cluster(state)
        self.root = root
        self.log = root / "tools.log"  # each run's own output goes to run_log()
        self.kubectl = str(sandbox.ensure_binaries(say).kubectl)
        self.helm = str(ensure_helm(say))
        self.db = f"sqlite:///{root / 'kapstan.db'}"
        os.environ["KAPSTAN_SECRET_KEY"] = generate_key()
        os.environ["KAPSTAN_USER"] = "bench"
        os.environ.pop("KAPSTAN_SECRET_KEY_FILE", None)
        os.environ.pop("KAPSTAN_SERVER", None)
        helm_home = root / "helm"
        self.env = {
            **os.environ,
            "KAPSTAN_DB": self.db,
            "HELM_CONFIG_HOME": str(helm_home / "config"),
            "HELM_CACHE_HOME": str(helm_home / "cache"),
            "HELM_DATA_HOME": str(helm_home / "data"),
            "KUBECONFIG": str(state.kubeconfig),
        }
        # As installed: Kapstan's modules compiled once (warm_up), not on every start.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.runs: list[Run] = []
        self.setup_count = 0
        self.idle_rate = 0.0  # the sandbox's CPU per second when idle: measured after warm-up
        self.tools = tuple(t for t in TOOLS if t in args.tools)
        self.server: apiservers.Server | None = None
        self.token = ""
        # The config every environment uses: the change (c) is one new version of it.
        self.kapstan("config", "set", CONFIG, f"bench.started={int(time.time())}")

    # --- a Kapstan server on the same store, started once, untimed ---

    @contextlib.contextmanager
    def served(self) -> Iterator[None]:
        """``kapstan server`` on the benchmark's store with an admin's token, for every round,
        as a team's server is (its start-up is not a deploy's); no background drift check in
        the measured namespaces."""
        with Store.open(self.db) as store:
            store.create_user("bench-admin", password=None, admin=True)
            self.token = store.create_token("bench-admin")[0]
        key = os.environ["KAPSTAN_SECRET_KEY"]
        with apiservers.kapstan_server(
            self.db, key, self.root, 1, extra=("--drift-interval", "0")
        ) as server:
            self.server = server
            try:
                yield
            finally:
                self.server = None

    def server_cpu(self) -> float:
        """The server process's CPU seconds so far (its deploys run in it, in threads)."""
        return 0.0 if self.server is None else apiservers.cpu_seconds((self.server.process.pid,))

    # --- Kapstan, in process, untimed ---

    def kapstan(self, *argv: str | Path) -> str:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = kapstan_main(["--db", self.db, *map(str, argv)])
        if code != 0:
            raise RuntimeError(f"kapstan {' '.join(map(str, argv))}: exit {code}\n{err.getvalue()}")
        return out.getvalue()

    def new_app(self, namespace: str, template: str) -> str:
        """An environment on ``namespace`` and an application of the template's latest version."""
        self.setup_count += 1
        name = f"a{self.setup_count}"
        kube = self.cluster.kubeconfig
        self.kapstan(
            "env",
            "create",
            name,
            "--kubeconfig",
            kube,
            "--namespace",
            namespace,
            "--config",
            CONFIG,
        )
        self.kapstan("app", "create", name, "--template", template, "--env", name)
        return name

    def import_template(self, template: str, levels: list[list[str]]) -> None:
        folder = self.root / template
        for path, text in kit.template_files(template, levels).items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(text)
        self.kapstan("template", "import", folder)

    def rendered(self, app: str) -> dict[str, list[dict[str, Any]]]:
        store = Store.open(self.db)
        try:
            version = render_application(store, app)
        finally:
            store.close()
        return {name: [dict(o) for o in s.objects] for name, s in version.rendered.services.items()}

    def write_inputs(
        self, tag: str, by_service: dict[str, list[dict[str, Any]]]
    ) -> tuple[Path, Path]:
        target = self.root / tag
        target.mkdir(parents=True, exist_ok=True)
        manifest = target / "app.yaml"
        manifest.write_text(kit.manifests_yaml(o for objs in by_service.values() for o in objs))
        chart = target / "chart"
        for path, text in kit.chart_files(RELEASE, by_service).items():
            (chart / path).parent.mkdir(parents=True, exist_ok=True)
            (chart / path).write_text(text)
        return manifest, chart

    # --- one run ---

    def deploy(self, tool: str, namespace: str, work: Work, log: Path) -> list[Proc]:
        timeout = float(self.args.timeout)
        k = ["--kubeconfig", str(self.cluster.kubeconfig), "-n", namespace]
        if tool == "kapstan":
            argv = [sys.executable, "-c", "from kapstan.cli.main import run; run()"]
            # The same bound as the peers' --timeout (Kapstan's is per service's readiness).
            deploy = [*argv, "app", "deploy", work.app, "--yes", "--timeout", f"{timeout:.0f}s"]
            return [run_process(deploy, self.env, log, timeout)]
        if tool == "kapstan-server":
            argv = [sys.executable, "-c", "from kapstan.cli.main import run; run()"]
            assert self.server is not None, "kapstan-server runs inside Bench.served()"
            argv += ["--server", self.server.url, "--token", self.token]
            deploy = [*argv, "app", "deploy", work.app, "--yes", "--timeout", f"{timeout:.0f}s"]
            env = {k: v for k, v in self.env.items() if k != "KAPSTAN_DB"}
            return [run_process(deploy, env, log, timeout)]
        if tool == "kubectl":
            applied = run_process(
                [self.kubectl, *k, "apply", "--server-side", "-f", str(work.kubectl_file)],
                self.env,
                log,
                timeout,
            )
            if applied.code != 0:
                return [applied]
            wait = [self.kubectl, *k, "wait", "--for=condition=Available", "deployment", "--all"]
            return [
                applied,
                run_process([*wait, f"--timeout={timeout:.0f}s"], self.env, log, timeout),
            ]
        verb = "upgrade" if work.change else "install"
        return [
            run_process(
                [
                    self.helm,
                    verb,
                    RELEASE,
                    str(work.chart),
                    *k,
                    "--wait",
                    "--timeout",
                    f"{timeout:.0f}s",
                ],
                self.env,
                log,
                timeout,
            )
        ]

    def measure(self, scenario: str, tool: str, rnd: int, namespace: str, work: Work) -> Run:
        watch = DeploymentWatch(self.cluster, namespace)
        start_offset = self.cluster.mark()
        log = self.root / f"{scenario}-{tool}-r{rnd}.log"
        cpu_before, server_before = self.cluster.cpu_seconds(), self.server_cpu()
        try:
            procs = self.deploy(tool, namespace, work, log)
            cluster_cpu = self.cluster.cpu_seconds() - cpu_before
            # Through a server, the deploy's own work is the server's: counted with the client's.
            server_cpu = self.server_cpu() - server_before if tool == "kapstan-server" else 0.0
        finally:
            watch.stop()
        end_offset = self.cluster.mark()
        events = self.cluster.audit.between(start_offset, end_offset)
        t0, t1 = procs[0].started, procs[-1].ended
        counted = kit.tally(events, AGENTS[tool], namespace)
        failed = [p for p in procs if p.code != 0]
        missing = [k for k in work.must_write if k not in counted.first_write]
        unready = [d for d in work.ready_needed if d not in watch.ready]
        problem = "; ".join(
            filter(
                None,
                [
                    f"exit {failed[0].code}: {' '.join(failed[0].argv[-6:])}; its output ends:\n"
                    + "\n".join(f"      {ln}" for ln in tail(log))
                    if failed
                    else "",
                    f"{len(missing)} object(s) never written, e.g. {missing[0]}" if missing else "",
                    f"{len(unready)} Deployment(s) not seen rolled out, e.g. {unready[0]}"
                    if unready
                    else "",
                    f"watch: {watch.error}" if watch.error else "",
                ],
            )
        )
        if not counted.requests:
            problem = (
                problem + "; " if problem else ""
            ) + "no request matched the tool's user agent"
        observed = max(
            (watch.ready[d] for d in work.ready_needed if d in watch.ready), default=None
        )
        controller = kit.busiest_second(events, DEPLOYMENT_CONTROLLER, namespace)

        def rel(at: float | None) -> float | None:
            return None if at is None else at - t0

        run = Run(
            scenario=scenario,
            tool=tool,
            round=rnd,
            namespace=namespace,
            ok=not problem,
            problem=problem,
            ready=t1 - t0,
            applied=rel(counted.all_applied(work.objects)),
            first_request=rel(counted.first_request),
            requests=counted.requests,
            watches=counted.watches,
            dry_runs=counted.dry_runs,
            writes=counted.writes,
            objects_written=len(counted.written()),
            written=[f"{r}/{n}" for r, n in counted.written()],
            peak_rss_mb=max(p.max_rss_kb for p in procs) / 1024,
            observed_ready=rel(observed) if len(work.ready_needed) == len(watch.ready) else None,
            first_write=rel(counted.first_applied(work.objects)),
            controller_requests=controller[0],
            controller_peak=controller[1],
            tool_cpu=sum(p.cpu_s for p in procs) + server_cpu,
            cluster_cpu=cluster_cpu,
            cluster_idle_cpu=self.idle_rate * (t1 - t0),
        )
        if len(work.levels) > 1:
            run.levels = self.levels(work.levels, counted, watch.ready, t0)
        self.runs.append(run)
        state = "ok" if run.ok else f"PROBLEM: {problem}"
        after = None if run.observed_ready is None else run.ready - run.observed_ready
        say(
            f"  {scenario:<11} {tool:<14} round {rnd}: ready {run.ready:6.2f} s (1st request "
            f"{fmt(run.first_request)}, 1st write {fmt(run.first_write)}, all applied "
            f"{fmt(run.applied)}, last Deployment ready {fmt(run.observed_ready)}, tail "
            f"{fmt(after)}), {run.requests} requests, {run.objects_written} objects written, "
            f"peak RSS {run.peak_rss_mb:.0f} MB, deployment controller {run.controller_requests}"
            f" requests (peak {run.controller_peak}/s), CPU {run.tool_cpu:.2f} s (cluster "
            f"{run.cluster_cpu:.2f} s)  {state}"
        )
        return run

    @staticmethod
    def levels(
        levels: list[list[str]], counted: kit.Tally, ready: dict[str, float], t0: float
    ) -> list[Level]:
        out: list[Level] = []
        before: float | None = None
        for i, names in enumerate(levels):
            first = counted.first_applied(kit.object_keys(names))
            done = [ready[n] for n in names if n in ready]
            end = max(done) if len(done) == len(names) else None
            out.append(
                Level(
                    level=i,
                    first_write=None if first is None else first - t0,
                    ready=None if end is None else end - t0,
                    readiness=None if first is None or end is None else end - first,
                    gap=None if first is None or before is None else first - before,
                )
            )
            before = end
        return out

    # --- scenarios ---

    def prepare(self, name: str, levels: list[list[str]]) -> Work:
        """Template imported, a reference app rendered into kubectl's file and helm's chart."""
        template = f"bench-{name}"
        self.import_template(template, levels)
        ref = self.new_app(f"ref-{name}", template)
        manifest, chart = self.write_inputs(name, self.rendered(ref))
        services = [s for level in levels for s in level]
        keys = kit.object_keys(services)
        return Work(manifest, chart, template, ref, keys, keys, levels, services)

    def changed(self, rnd: int, base: Work, service: str) -> Work:
        """The config key of ``service`` changed (a new config version); the reference re-rendered.

        Kapstan's application for the round's first deploy is made before, on the version
        with the value every tool's first deploy has; ``app update`` moves it to the change.
        """
        self.kapstan("config", "set", CONFIG, f"{kit.greeting_key(service)}=changed-{rnd}")
        self.kapstan("app", "update", base.app)
        manifest, chart = self.write_inputs(f"change-{rnd}", self.rendered(base.app))
        return Work(manifest, chart, base.template, base.app, base.objects, [], [], [], True)

    def in_namespace(
        self, scenario: str, tool: str, rnd: int, work: Work, then: Callable[[str], None] | None
    ) -> None:
        namespace = namespace_of(scenario, tool, rnd)
        self.cluster.create_namespace(namespace)
        try:
            app = self.new_app(namespace, work.template) if tool in OURS else work.app
            self.measure(scenario, tool, rnd, namespace, replace_app(work, app))
            if then is not None:
                then(namespace)
        finally:
            self.cluster.delete_namespace(namespace)

    def comparison(self, scenarios: list[str]) -> None:
        a = self.prepare("independent", kit.levels_of(self.args.services, 1))
        changed_service = a.levels[0][len(a.levels[0]) // 2]
        b = None
        if "chain" in scenarios:
            b = self.prepare("chain", kit.levels_of(self.args.per_level, self.args.depth))
        for rnd in range(1, self.args.rounds + 1):
            tools = self.tools
            order = tools[(rnd - 1) % len(tools) :] + tools[: (rnd - 1) % len(tools)]
            say(f"round {rnd}/{self.args.rounds}: {', '.join(order)}")
            # The value every first deploy has (round 1's default, spelt out), then the app
            # Kapstan deploys it with, then the change (if asked) as the next version.
            self.kapstan(
                "config", "set", CONFIG, f"{kit.greeting_key(changed_service)}={kit.GREETING}"
            )
            ours = {
                tool: self.new_app(namespace_of("independent", tool, rnd), a.template)
                for tool in order
                if tool in OURS
            }
            c = self.changed(rnd, a, changed_service) if "change" in scenarios else None
            if "independent" in scenarios or c is not None:
                for tool in order:
                    app = ours.get(tool, a.app)
                    self.independent_then_change(
                        tool, rnd, replace_app(a, app), c, "independent" in scenarios
                    )
            if b is not None:
                for tool in order:
                    self.in_namespace("chain", tool, rnd, b, None)

    def independent_then_change(
        self, tool: str, rnd: int, a: Work, c: Work | None, report_a: bool
    ) -> None:
        namespace = namespace_of("independent", tool, rnd)
        self.cluster.create_namespace(namespace)
        try:
            first = self.measure("independent", tool, rnd, namespace, a)
            if not report_a:
                self.runs.remove(first)
            if c is not None:
                if tool in OURS:
                    self.kapstan("app", "update", a.app)
                self.measure("change", tool, rnd, namespace, replace_app(c, a.app))
        finally:
            self.cluster.delete_namespace(namespace)

    def scale(self) -> None:
        work = self.prepare("scale", kit.levels_of(self.args.scale_services, 1))
        for rnd in range(1, self.args.rounds + 1):
            self.in_namespace("scale", "kapstan", rnd, work, None)


def tail(log: Path, lines: int = 15) -> list[str]:
    """The end of a tool's output, for the report of a run that failed."""
    try:
        return log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ["(no output)"]


def namespace_of(scenario: str, tool: str, rnd: int) -> str:
    return f"{scenario[:5]}-{tool}-r{rnd}"


def asdict_shallow(work: Work) -> dict[str, Any]:
    return {f: getattr(work, f) for f in work.__dataclass_fields__}


def replace_app(work: Work, app: str) -> Work:
    return Work(**{**asdict_shallow(work), "app": app})


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {"cpus": os.cpu_count(), "loadavg": [round(x, 2) for x in load]}


@contextlib.contextmanager
def own_sandbox(nodes: int, controller_qps: float) -> Iterator[sandbox.SandboxState]:
    name = f"bench-deploy-{os.getpid()}"
    qps = f"{controller_qps:g}/s" if controller_qps else f"{UPSTREAM_CONTROLLER_QPS:g}/s (default)"
    say(f"sandbox {name}: {nodes} fake nodes, audit log on, controller client limit {qps}")
    state = sandbox.up(
        name, nodes=nodes, progress=lambda _m: None, audit=True, controller_qps=controller_qps
    )
    try:
        yield state
    finally:
        sandbox.down(name)
        say(f"sandbox {name} down")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--services", type=int, default=50, help="(a) independent services")
    parser.add_argument("--depth", type=int, default=5, help="(b) levels")
    parser.add_argument("--per-level", type=int, default=10, help="(b) services per level")
    parser.add_argument("--scale-services", type=int, default=500)
    parser.add_argument(
        "--scenario",
        nargs="+",
        choices=["independent", "chain", "change", "scale"],
        default=["independent", "chain", "change"],
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds, per process")
    parser.add_argument(
        "--controller-qps",
        type=float,
        default=0.0,
        help="kube-controller-manager's client rate limit for the sandbox, the same for every "
        f"tool (default: its own, {UPSTREAM_CONTROLLER_QPS:g}/s)",
    )
    parser.add_argument(
        "--tools",
        nargs="+",
        choices=TOOLS,
        default=list(TOOLS),
        help="kapstan-server: Kapstan's CLI through a `kapstan server` on the same store",
    )
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = parser.parse_args(argv)
    if "scale" in args.scenario and len(args.scenario) > 1:
        parser.error("--scenario scale runs alone")
    if min(args.rounds, args.services, args.depth, args.per_level, args.scale_services) < 1:
        parser.error("--rounds, --services, --depth, --per-level and --scale-services must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    pods = (
        args.scale_services
        if args.scenario == ["scale"]
        else max(args.services, args.depth * args.per_level)
    )
    nodes = max(3, math.ceil((pods + 1) / PODS_PER_NODE) + 1)
    before = machine()
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="kapstan-bench-deploy-"))
    changed = kit.levels_of(args.services, 1)[0][args.services // 2]
    try:
        with own_sandbox(nodes, args.controller_qps) as state:
            bench = Bench(args, state, root)
            try:
                warm_up(bench)
                with contextlib.ExitStack() as serving:
                    if args.scenario != ["scale"] and "kapstan-server" in bench.tools:
                        serving.enter_context(bench.served())
                    bench.idle_rate = bench.cluster.idle_cpu_rate()
                    if args.scenario == ["scale"]:
                        bench.scale()
                    else:
                        bench.comparison(args.scenario)
            finally:
                bench.cluster.close()
            runs = bench.runs
    finally:
        shutil.rmtree(root, ignore_errors=True)
    after = machine()
    if args.json:
        medians = summary(runs)
        doc = {
            "command": " ".join(sys.argv),
            "machine": {"before": before, "after": after},
            "seconds": round(time.monotonic() - started, 1),
            "runs": [asdict(r) for r in runs],
            "medians": medians,
            "targets": targets(runs, medians, changed, args.controller_qps),
            "cluster_floor": None
            if (floor := cluster_floor(runs, args.controller_qps)) is None
            else {**asdict(floor), "seconds": floor.seconds},
        }
        print(json.dumps(doc, indent=2))
    else:
        print(
            f"machine: {before['cpus']} CPUs, load average {before['loadavg']} before, {after['loadavg']} after (shared)"
        )
        print(table(runs, args, changed))
        print(f"wall time of the benchmark: {time.monotonic() - started:.0f} s")


def warm_up(bench: Bench) -> None:
    """Untimed: kubectl's discovery cache, Kapstan's bytecode, helm's first start."""
    k = ["--kubeconfig", str(bench.cluster.kubeconfig)]
    package = str(Path(kapstan.__file__).parent)
    for argv in (
        [sys.executable, "-m", "compileall", "-q", package],
        [bench.kubectl, *k, "api-resources"],
        [bench.helm, *k, "list", "-A"],
        [sys.executable, "-c", "from kapstan.cli.main import run; run()", "--help"],
    ):
        run_process(argv, bench.env, bench.log, 120.0)


if __name__ == "__main__":
    main()
