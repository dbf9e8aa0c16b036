"""The deploy benchmark's records and report: each run's figures, their medians, the
issue's targets for each way Kapstan runs, the cluster's floor, and the printed table.

Apart from ``bench_deploy.py`` (the sandbox, the tools, the scenarios), which fills the
records and prints what this module makes of them.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from typing import Any

import deploykit as kit  # bench/deploykit.py, beside this script

OURS = ("kapstan", "kapstan-server")  # Kapstan's two ways: the local CLI, or through a server
UPSTREAM_CONTROLLER_QPS = 20.0
UPSTREAM_CONTROLLER_BURST = 30  # the sandbox passes twice the limit when --controller-qps is set
SCALE_RSS_MB = 300.0
LEVEL_SLACK = 0.2  # seconds per level allowed above the sum of per-level readiness


@dataclass
class Level:
    level: int
    first_write: float | None  # seconds from the tool's start
    ready: float | None
    readiness: float | None  # ready - first_write
    gap: float | None  # first_write - the level before's ready


@dataclass
class Run:
    scenario: str
    tool: str
    round: int
    namespace: str
    ok: bool
    problem: str
    ready: float
    applied: float | None
    first_request: float | None
    requests: int
    watches: int
    dry_runs: int
    writes: int
    objects_written: int
    written: list[str]
    peak_rss_mb: float
    observed_ready: float | None  # the benchmark's watch saw every Deployment rolled out
    first_write: float | None = None  # the tool's first write of one of the objects
    controller_requests: int = 0  # the deployment controller's, in the namespace
    controller_peak: int = 0  # its most requests in one second
    levels: list[Level] = field(default_factory=list)
    tool_cpu: float = 0.0  # CPU seconds of the tool's processes
    cluster_cpu: float = 0.0  # CPU seconds of the sandbox's processes during the run
    cluster_idle_cpu: float = 0.0  # what they use idle over as long (Bench.idle_rate)


# --- the report ----------------------------------------------------------------------------


def fmt(value: float | None, unit: str = "s", digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def summary(runs: list[Run]) -> dict[str, dict[str, dict[str, Any]]]:
    """Medians per scenario and tool over the runs that went well."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for run in runs:
        out.setdefault(run.scenario, {}).setdefault(run.tool, {"runs": []})["runs"].append(run)
    for tools in out.values():
        for figures in tools.values():
            good: list[Run] = [r for r in figures.pop("runs") if r.ok]
            figures.update(
                runs_ok=len(good),
                ready=kit.median([r.ready for r in good]),
                ready_min=min((r.ready for r in good), default=None),
                ready_max=max((r.ready for r in good), default=None),
                applied=kit.median([r.applied for r in good]),
                first_request=kit.median([r.first_request for r in good]),
                first_write=kit.median([r.first_write for r in good]),
                observed_ready=kit.median([r.observed_ready for r in good]),
                tail=kit.median(
                    [None if r.observed_ready is None else r.ready - r.observed_ready for r in good]
                ),
                controller_peak=kit.median([float(r.controller_peak) for r in good]),
                requests=kit.median([float(r.requests) for r in good]),
                dry_runs=kit.median([float(r.dry_runs) for r in good]),
                writes=kit.median([float(r.writes) for r in good]),
                objects_written=kit.median([float(r.objects_written) for r in good]),
                peak_rss_mb=kit.median([r.peak_rss_mb for r in good]),
                tool_cpu=kit.median([r.tool_cpu for r in good]),
                cluster_cpu=kit.median([r.cluster_cpu for r in good]),
            )
    return out


def targets(
    runs: list[Run], medians: dict[str, dict[str, dict[str, Any]]], changed: str, qps: float
) -> list[dict[str, Any]]:
    """Each of the issue's targets for each way Kapstan ran (``OURS``), then the scale one."""
    found: list[dict[str, Any]] = []
    for tool in OURS:
        found += targets_of(tool, runs, medians, changed, qps)
    scale = [r for r in runs if r.scenario == "scale" and r.ok]
    if scale:
        value = max(r.peak_rss_mb for r in scale)
        found.append(
            {
                "target": f"scale: Kapstan peak RSS < {SCALE_RSS_MB:.0f} MB",
                "value": value,
                "limit": SCALE_RSS_MB,
                "met": value < SCALE_RSS_MB,
            }
        )
    return found


def targets_of(
    tool: str,
    runs: list[Run],
    medians: dict[str, dict[str, dict[str, Any]]],
    changed: str,
    qps: float,
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    a = medians.get("independent", {})
    ours = a.get(tool, {}).get("ready")
    floor = cluster_floor(runs, qps)
    for peer, limit in (("kubectl", 0.7), ("helm", 0.5)):
        theirs = a.get(peer, {}).get("ready")
        value = kit.ratio(ours, theirs)
        if ours is not None and theirs is not None:
            found.append(
                {
                    "target": f"(a) {tool} ready <= {limit}x {peer}",
                    "value": value,
                    "limit": limit,
                    "met": value is not None and value <= limit,
                    # Below the cluster's own floor no tool can get: see cluster_floor.
                    "reachable": None if floor is None else floor.seconds <= limit * theirs,
                }
            )
    chain = [r for r in runs if r.scenario == "chain" and r.tool == tool and r.ok]
    if chain:
        ratios: list[float | None] = []
        after_start: list[float | None] = []  # the same, timed from the first request
        for r in chain:
            parts = [lv.readiness for lv in r.levels]
            if all(p is not None for p in parts):
                budget = sum(p for p in parts if p is not None) + LEVEL_SLACK * len(parts)
                ratios.append(r.ready / budget)
                if r.first_request is not None:
                    after_start.append((r.ready - r.first_request) / budget)
        value = kit.median(ratios)
        found.append(
            {
                "target": f"(b) {tool} ready <= sum of per-level readiness + {LEVEL_SLACK} s/level",
                "value": value,
                "limit": 1.0,
                "met": value is not None and value <= 1.0,
                "from_first_request": kit.median(after_start),
            }
        )
    change = [r for r in runs if r.scenario == "change" and r.tool == tool and r.ok]
    if change:
        own = {f"{res}/{name}" for res, name in kit.object_keys([changed])}
        extra = sorted({w for r in change for w in r.written} - own)
        found.append(
            {
                "target": f"(c) {tool} writes only {changed}'s {len(own)} objects",
                "value": kit.median([float(r.objects_written) for r in change]),
                "limit": float(len(own)),
                "met": not extra and all(r.objects_written <= len(own) for r in change),
                "other_objects_written": extra,
            }
        )
    return found


def cluster_floor(runs: list[Run], qps: float) -> kit.Floor | None:
    """The least time any tool could take for (a) on this machine and cluster (kit.cluster_floor)."""
    ran = [
        kit.ClusterWork(r.tool, r.cluster_cpu - r.cluster_idle_cpu, r.controller_requests)
        for r in runs
        if r.scenario == "independent" and r.ok and r.cluster_cpu > 0
    ]
    limit = qps or UPSTREAM_CONTROLLER_QPS
    burst = round(2 * qps) if qps else UPSTREAM_CONTROLLER_BURST
    return kit.cluster_floor(ran, os.cpu_count() or 1, limit, burst)


def table(runs: list[Run], args: argparse.Namespace, changed: str) -> str:
    medians = summary(runs)
    lines = [
        f"rounds: {args.rounds}; medians over the runs that went well; ready min-max in brackets",
        "",
    ]
    head = f"{'scenario':<12} {'tool':<14} {'ok':>3} {'ready':>8} {'(min-max)':>15} {'1st req':>8} "
    head += f"{'1st wr':>7} {'applied':>8} {'last rdy':>8} {'tail':>6} {'requests':>9} "
    head += f"{'dry-run':>8} {'writes':>7} {'objects':>8} {'peak RSS':>9} {'dc/s':>5} "
    head += f"{'CPU':>6} {'cluster':>8}"
    lines.append(head)
    for scenario, tools in medians.items():
        for tool, f in tools.items():
            spread = f"({fmt(f['ready_min'])}-{fmt(f['ready_max'])})" if f["runs_ok"] else ""
            lines.append(
                f"{scenario:<12} {tool:<14} {f['runs_ok']:>3} {fmt(f['ready']):>8} {spread:>15} "
                f"{fmt(f['first_request']):>8} {fmt(f['first_write']):>7} "
                f"{fmt(f['applied']):>8} {fmt(f['observed_ready']):>8} {fmt(f['tail']):>6} "
                f"{fmt(f['requests'], '', 0):>9} {fmt(f['dry_runs'], '', 0):>8} "
                f"{fmt(f['writes'], '', 0):>7} "
                f"{fmt(f['objects_written'], '', 0):>8} {fmt(f['peak_rss_mb'], ' MB', 0):>9} "
                f"{fmt(f['controller_peak'], '', 0):>5} {fmt(f['tool_cpu']):>6} "
                f"{fmt(f['cluster_cpu']):>8}"
            )
    qps = args.controller_qps or UPSTREAM_CONTROLLER_QPS
    lines += [
        "",
        "columns: seconds from the tool's start; 'last rdy' when the benchmark's own watch saw "
        "the last Deployment rolled out, 'tail' from then to the tool's exit; 'dc/s' the",
        f"deployment controller's busiest second in the namespace: its client limit is "
        f"{qps:g}/s (kube-controller-manager --kube-api-qps"
        + (f" {qps:g}, set by --controller-qps" if args.controller_qps else ", its default")
        + "), the same for every tool.",
        "At that limit no tool gets all Deployments Available sooner: the cluster, not the "
        "tool, is the bound (raise it for all with --controller-qps).",
        "'CPU' the tool's processes' CPU seconds (user + system); 'cluster' the sandbox's "
        "processes' (apiserver, etcd, controllers, scheduler, kwok) during the same run.",
    ]
    floor = cluster_floor(runs, args.controller_qps)
    if floor is not None:
        lines += [
            f"cluster floor for (a), {floor.seconds:.2f} s for any tool: the larger of",
            f"  CPU: the sandbox used {floor.cpu.cpu:.2f} CPU s for (a)'s objects (least over "
            f"the tools, with {floor.cpu.tool}; idle use taken out): on {floor.cores} CPU(s) "
            f"at least {floor.cpu_seconds:.2f} s, even for a tool using no CPU itself",
            f"  controller: {floor.controller_requests} deployment controller requests (least "
            f"over the tools) beyond its burst at {qps:g}/s: at least "
            f"{floor.controller_seconds:.2f} s after the first Deployment is written",
        ]
    chain = [r for r in runs if r.scenario == "chain" and r.tool in OURS]
    if chain:
        lines += [
            "",
            "chain, Kapstan, per level (s from start): first write / ready / readiness / gap",
        ]
        for r in sorted(chain, key=lambda r: (r.tool, r.round)):
            cells = "  ".join(
                f"L{lv.level}: {fmt(lv.first_write)}/{fmt(lv.ready)}/{fmt(lv.readiness)}/{fmt(lv.gap)}"
                for lv in r.levels
            )
            lines.append(f"  {r.tool:<14} round {r.round}: {cells}")
    lines += ["", "peers (ratios Kapstan / peer, medians of ready):"]
    for scenario, tools in medians.items():
        for tool in (t for t in OURS if t in tools):
            ours = tools[tool]["ready"]
            for peer in ("kubectl", "helm"):
                if peer in tools:
                    ratio = fmt(kit.ratio(ours, tools[peer]["ready"]), "x")
                    lines.append(f"  {scenario:<12} {tool:<14} / {peer:<7} {ratio}")
    lines += ["", "targets:"]
    for t in targets(runs, medians, changed, args.controller_qps):
        mark = "met" if t["met"] else "MISSED"
        extra = (
            f" (also wrote {', '.join(t['other_objects_written'])})"
            if t.get("other_objects_written")
            else ""
        )
        if "from_first_request" in t:
            extra += f" (timed from its first request: {fmt(t['from_first_request'], '', 2)})"
        if t.get("reachable") is False:
            extra += " (unreachable on this machine: below the cluster floor above)"
        lines.append(f"  {t['target']}: {fmt(t['value'], '', 2)} vs {t['limit']:g}: {mark}{extra}")
    problems = [r for r in runs if not r.ok]
    if problems:
        lines += ["", "runs with problems (left out of the medians):"]
        lines += [f"  {r.scenario} {r.tool} round {r.round}: {r.problem}" for r in problems]
    return "\n".join(lines)
