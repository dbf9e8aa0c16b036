"""Benchmark: ``kapstan cluster show`` latency on a sandbox of 20 kwok nodes and 500 pods.

Measured, median of ``--runs``:
  - ``kapstan cluster show NAME -o json`` as a user runs it (a new process: start-up, store,
    decrypt, the parallel reads, output);
  - the same read in process (``kapstan.actions.clusterviews.show_cluster``), without start-up;
Peer in the same run, against the same cluster: ``kubectl get nodes,pods -A`` then
``kubectl version`` (two processes, timed together), the nearest kubectl equivalent of what
``cluster show`` reads (it also reads /livez, /readyz?verbose and the APIServices).

    python bench/bench_cluster.py [--runs 7] [--nodes 20] [--pods 500]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from kapstan import sandbox
from kapstan.actions import clusters, clusterviews
from kapstan.store import Store
from kapstan.store.crypto import generate_key

NAME = "bench-cluster"
NAMESPACE = "bench"
WAIT_SECONDS = 180
# CPU seconds of each run of a command, by program: on a loaded machine wall times vary with
# the load; CPU time says what the command itself costs.
CPU: dict[str, list[float]] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--pods", type=int, default=500)
    args = parser.parse_args()
    kubectl = str(sandbox.ensure_binaries().kubectl)
    state = sandbox.up(NAME, nodes=args.nodes, progress=lambda _m: None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run(args, state, kubectl, Path(tmp))
    finally:
        sandbox.down(NAME)


def run(args: argparse.Namespace, state: sandbox.SandboxState, kubectl: str, tmp: Path) -> None:
    kube = [kubectl, "--kubeconfig", str(state.kubeconfig)]
    make_pods(kube, args.nodes, args.pods, tmp)
    db = f"sqlite:///{tmp / 'kapstan.db'}"
    environ = {**os.environ, "KAPSTAN_DB": db, "KAPSTAN_SECRET_KEY": generate_key()}
    environ.pop("KAPSTAN_SERVER", None)
    with Store.open(db, environ=environ) as store:
        clusters.add_cluster(
            store, "bench", kubeconfig=state.kubeconfig, author="bench", via="bench"
        )
        in_process, in_process_cpu, report = [], [], None
        for _ in range(args.runs):
            c0, t0 = time.process_time(), time.perf_counter()
            report = clusterviews.show_cluster(store, "bench")
            in_process.append(time.perf_counter() - t0)
            in_process_cpu.append(time.process_time() - c0)
    assert report is not None and not report.errors, report and report.errors
    exe = shutil.which("kapstan") or sys.exit("the kapstan command is not on PATH")
    cli = [exe, "cluster", "show", "bench", "-o", "json"]
    command = timed(cli, args.runs, environ)
    peer = [
        a + b
        for a, b in zip(
            timed([*kube, "get", "nodes,pods", "-A"], args.runs, environ),
            timed([*kube, "version"], args.runs, environ),
            strict=True,
        )
    ]
    pods = sum(report.pods.values())
    print(
        f"cluster: {len(report.nodes)} nodes, {pods} pods ({dict(report.pods)}), runs: {args.runs}"
    )
    gets, versions = CPU[kube[0]][: args.runs], CPU[kube[0]][args.runs :]
    cpu_peer = [a + b for a, b in zip(gets, versions, strict=True)]
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"kapstan cluster show (new process): median {ms(command)} (min {ms([min(command)])}), "
        f"CPU {ms(CPU[exe])}"
    )
    print(f"show_cluster in process:            median {ms(in_process)}, CPU {ms(in_process_cpu)}")
    print(
        f"peer kubectl get nodes,pods -A + kubectl version: median {ms(peer)} "
        f"(min {ms([min(peer)])}), CPU {ms(cpu_peer)}"
    )
    print(f"ratio command / peer: {statistics.median(command) / statistics.median(peer):.2f}")


def make_pods(kube: list[str], nodes: int, count: int, tmp: Path) -> None:
    """``count`` pods bound round-robin to the kwok nodes (no scheduler wait), then wait
    (bounded) until kwok reports them all Running."""
    subprocess.run([*kube, "create", "namespace", NAMESPACE], check=True, capture_output=True)
    items = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"p-{i}", "namespace": NAMESPACE, "labels": {"app": "bench"}},
            "spec": {
                "nodeName": f"kwok-node-{i % nodes}",
                "containers": [{"name": "c", "image": "busybox:1.36"}],
            },
        }
        for i in range(count)
    ]
    manifest = tmp / "pods.yaml"
    manifest.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    subprocess.run([*kube, "create", "-f", str(manifest)], check=True, capture_output=True)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        out = subprocess.run(
            [
                *kube,
                "get",
                "pods",
                "-n",
                NAMESPACE,
                "--field-selector=status.phase=Running",
                "-o",
                "name",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        if len(out.split()) >= count:
            return
        time.sleep(1)
    raise SystemExit(f"{count} pods not Running within {WAIT_SECONDS}s")


def timed(command: list[str], runs: int, environ: dict[str, str]) -> list[float]:
    """Wall seconds of each run; the CPU seconds (user + system) of each go to ``CPU``."""
    times = []
    for _ in range(runs):
        c0 = child_cpu()
        t0 = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=environ, timeout=120)
        times.append(time.perf_counter() - t0)
        CPU.setdefault(command[0], []).append(child_cpu() - c0)
    return times


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


if __name__ == "__main__":
    main()
