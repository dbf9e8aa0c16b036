"""Benchmark: time from ``sandbox up`` (cached binaries) to a Ready cluster, and its memory.

Peer in the same run: ``kubectl get nodes`` round trip against the fresh sandbox, so the
figure for Kapstan's own start-up can be read against the cost of one real client call.

    python bench/bench_sandbox.py [--runs 5] [--nodes 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

from kapstan import sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nodes", type=int, default=3)
    args = parser.parse_args()
    kubectl = sandbox.ensure_binaries().kubectl
    ups: list[float] = []
    downs: list[float] = []
    rss: list[int] = []
    kubectl_times: list[float] = []
    for i in range(args.runs):
        name = f"bench-{i}"
        t0 = time.perf_counter()
        state = sandbox.up(name, nodes=args.nodes, progress=lambda _m: None)
        ups.append(time.perf_counter() - t0)
        try:
            time.sleep(3)  # let controllers settle before reading memory
            rss.append(sum(c.rss_bytes for c in sandbox.status(state)))
            t1 = time.perf_counter()
            subprocess.run(
                [str(kubectl), "--kubeconfig", str(state.kubeconfig), "get", "nodes"],
                check=True,
                capture_output=True,
                timeout=60,
            )
            kubectl_times.append(time.perf_counter() - t1)
        finally:
            t2 = time.perf_counter()
            sandbox.down(name)
            downs.append(time.perf_counter() - t2)
    print(f"runs: {args.runs}, nodes: {args.nodes}")
    print(
        f"sandbox up to Ready nodes: median {statistics.median(ups):.2f} s "
        f"(min {min(ups):.2f}, max {max(ups):.2f})"
    )
    print(f"sandbox down:              median {statistics.median(downs):.2f} s")
    print(
        f"control plane memory (RSS, all components): median {statistics.median(rss) / 2**20:.0f} MiB"
    )
    print(
        f"peer: kubectl get nodes:   median {statistics.median(kubectl_times):.2f} s "
        f"(up = {statistics.median(ups) / statistics.median(kubectl_times):.0f}x one kubectl call)"
    )


if __name__ == "__main__":
    main()
