"""Benchmark: render + change detection for 100 services x 4 resources, 200 config keys.

A script, not a test. Builds a template in memory, parses it once, renders a baseline,
then times N runs of (render with one key changed + detect_changes) and prints the
median and the peak memory (tracemalloc, measured in a separate pass).

    python bench/bench_render.py [--runs 30] [--services 100] [--keys 200]

Peer in the same run: ``kubectl kustomize`` building the same rendered objects (400
manifests plus the generated ConfigMaps/Secrets) from a directory, the nearest thing
kubectl has to rendering a multi-service application. Its figure includes starting a
process; Kapstan's is in process, so both are printed with that said.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

from kapstan.model.rendered import RenderedApp
from kapstan.model.values import SecretValue, Value
from kapstan.plan.changes import detect_changes
from kapstan.render.hashing import objects_yaml
from kapstan.render.render import render_app
from kapstan.sandbox import ensure_binaries
from kapstan.templates.parser import parse_template

SERVICE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc{i}
spec:
  replicas: ${{svc{i}.replicas:-1}}
  selector: {{matchLabels: {{app: svc{i}}}}}
  template:
    metadata: {{labels: {{app: svc{i}}}}}
    spec:
      containers:
        - name: app
          image: "registry.example.com/svc{i}:${{svc{i}.image.tag}}"
          args: ["--peer=${{k{a}}}", "--mode=${{k{b}:-fast}}"]
          ports: [{{containerPort: 8080}}]
          resources: {{requests: {{cpu: 100m, memory: 128Mi}}}}
---
apiVersion: v1
kind: Service
metadata:
  name: svc{i}
spec:
  selector: {{app: svc{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: svc{i}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: svc{i}}}
  minReplicas: ${{svc{i}.replicas:-1}}
  maxReplicas: 5
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: svc{i}
spec:
  minAvailable: 1
  selector: {{matchLabels: {{app: svc{i}}}}}
"""


def build_files(services: int, keys: int) -> dict[str, str]:
    lines = ["name: bench", "services:"]
    files = {}
    for i in range(services):
        lines.append(f"  svc{i}:")
        lines.append(f"    manifests: [services/svc{i}.yaml]")
        if i:
            lines.append(f"    dependsOn: [svc{(i - 1) // 2}]")
        secret = ", db.password" if i % 10 == 0 else ""
        lines.append(f"    env: [k{(3 * i) % keys}, k{(3 * i + 1) % keys}{secret}]")
        lines.append(f"    files: {{app.conf: k{(3 * i + 2) % keys}}}")
        files[f"services/svc{i}.yaml"] = SERVICE.format(i=i, a=(7 * i) % keys, b=(11 * i) % keys)
    files["kapstan.yaml"] = "\n".join(lines) + "\n"
    return files


def build_values(services: int, keys: int) -> dict[str, Value]:
    values: dict[str, Value] = {f"k{j}": f"value-{j}" for j in range(keys)}
    values["db.password"] = SecretValue("s3cret")
    for i in range(services):
        values[f"svc{i}.image.tag"] = "1.0.0"
    return values


def kustomize_peer(rendered: RenderedApp, runs: int) -> float:
    """Median seconds of ``kubectl kustomize`` over the same rendered objects."""
    kubectl = ensure_binaries(lambda _m: None).kubectl
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = []
        for name, svc in rendered.services.items():
            (root / f"{name}.yaml").write_text(objects_yaml(list(svc.objects)))
            names.append(f"{name}.yaml")
        (root / "kustomization.yaml").write_text(yaml.safe_dump({"resources": names}))
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(
                [str(kubectl), "kustomize", str(root)], check=True, capture_output=True, timeout=120
            )
            timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--keys", type=int, default=200)
    args = parser.parse_args()
    files = build_files(args.services, args.keys)
    started = time.perf_counter()
    template = parse_template(files)
    parse_ms = (time.perf_counter() - started) * 1000
    values = build_values(args.services, args.keys)
    old = render_app(template, values, app="bench", namespace="default")

    def once(run: int) -> int:
        changed = {**values, "k5": f"changed-{run}"}
        new = render_app(template, changed, app="bench", namespace="default")
        return len(detect_changes(old, new))

    timings = []
    for run in range(args.runs):
        started = time.perf_counter()
        count = once(run)
        timings.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    parse_template(files)
    once(-1)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    objects = sum(len(s.objects) for s in old.services.values())
    print(
        f"template: {args.services} services, {objects} objects, {args.keys} keys; parse once {parse_ms:.1f} ms"
    )
    print(
        f"render + detect_changes: median {statistics.median(timings):.1f} ms, "
        f"min {min(timings):.1f} ms over {args.runs} runs; {count} services changed"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak traced memory (parse + render + detect): {peak:.1f} MB; process max RSS {rss:.1f} MB"
    )
    peer = kustomize_peer(old, max(3, min(args.runs, 10))) * 1000
    ours = statistics.median(timings)
    print(
        f"peer: kubectl kustomize of the same {objects} objects: median {peer:.0f} ms (a new process each run); "
        f"Kapstan render + change detection in process is {peer / ours:.1f}x faster"
    )


if __name__ == "__main__":
    main()
