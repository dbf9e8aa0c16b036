"""Benchmark: time from ``sandbox up`` (cached binaries) to a Ready cluster, and its memory,
without and with the optional parts (``--metrics``: metrics-server behind the aggregator;
``--custom-metrics``: also Prometheus and prometheus-adapter on custom.metrics.k8s.io).

Peer in the same run: ``kubectl get nodes`` round trip against the fresh sandbox, so the
figure for Kapstan's own start-up can be read against the cost of one real client call.
Runs alternate between the two set-ups so load on the machine weighs on both alike.

    python bench/bench_sandbox.py [--runs 5] [--nodes 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from dataclasses import dataclass, field

from kapstan import sandbox

# label -> (metrics, custom_metrics), as ``sandbox up`` takes them
SETUPS = {
    "default": (False, False),
    "--metrics": (True, False),
    "--metrics --custom-metrics": (True, True),
}


@dataclass
class Figures:
    ups: list[float] = field(default_factory=list)
    downs: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    kubectl: list[float] = field(default_factory=list)


def _one(name: str, nodes: int, parts: tuple[bool, bool], kubectl: str, out: Figures) -> None:
    metrics, custom = parts
    t0 = time.perf_counter()
    state = sandbox.up(
        name, nodes=nodes, progress=lambda _m: None, metrics=metrics, custom_metrics=custom
    )
    out.ups.append(time.perf_counter() - t0)
    try:
        time.sleep(3)  # let controllers settle before reading memory
        out.rss.append(sum(c.rss_bytes for c in sandbox.status(state)))
        t1 = time.perf_counter()
        subprocess.run(
            [kubectl, "--kubeconfig", str(state.kubeconfig), "get", "nodes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        out.kubectl.append(time.perf_counter() - t1)
    finally:
        t2 = time.perf_counter()
        sandbox.down(name)
        out.downs.append(time.perf_counter() - t2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nodes", type=int, default=3)
    args = parser.parse_args()
    kubectl = str(sandbox.ensure_binaries().kubectl)
    figures = {label: Figures() for label in SETUPS}
    for i in range(args.runs):
        for label, parts in SETUPS.items():
            _one(f"bench-{i}", args.nodes, parts, kubectl, figures[label])
    print(f"runs: {args.runs} per set-up, nodes: {args.nodes}")
    for label, f in figures.items():
        up = statistics.median(f.ups)
        peer = statistics.median(f.kubectl)
        print(f"[{label}]")
        print(
            f"  sandbox up to Ready nodes: median {up:.2f} s (min {min(f.ups):.2f}, max {max(f.ups):.2f})"
        )
        print(f"  sandbox down:              median {statistics.median(f.downs):.2f} s")
        print(
            f"  control plane memory (RSS, all components): median {statistics.median(f.rss) / 2**20:.0f} MiB"
        )
        print(
            f"  peer: kubectl get nodes:   median {peer:.2f} s (up = {up / peer:.0f}x one kubectl call)"
        )
    base = statistics.median(figures["default"].ups)
    for label in list(SETUPS)[1:]:
        extra = statistics.median(figures[label].ups) - base
        print(f"{label} adds {extra:+.2f} s to the median start-up")


if __name__ == "__main__":
    main()
