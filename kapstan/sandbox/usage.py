"""Simulated resource usage: what kwok reports as each pod's CPU and memory.

kwok serves a kubelet-like ``/metrics/resource`` per node (the ``Metric`` below, the same as
upstream's ``kustomize/metrics/resource``), computing each container's usage from one
``ClusterResourceUsage``. The sandbox keeps exactly one, ``USAGE_NAME``: kwok uses the first
one whose selector matches a pod and their order is not defined, so every rule lives in that
one object, as a chain of CEL conditionals, newest rule first. The rules themselves are kept
in an annotation on it, so ``set_usage`` needs no state outside the cluster.

A pod no rule matches uses what its ``kwok.x-k8s.io/usage-cpu`` / ``-memory`` annotations say
(upstream's behaviour), else 1m CPU and 1Mi memory.

    set_usage(state, "shop", "app=web", cpu="500m")   # every container of matching pods,
                                                       # also pods created later (HPA scale-up)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from kapstan.errors import SandboxError
from kapstan.sandbox import crds

USAGE_NAME = "kapstan-sandbox-usage"
RULES_ANNOTATION = "kapstan.io/usage-rules"
METRICS_PATH = "/metrics/nodes/{nodeName}/metrics/resource"
# metrics-server reads this node annotation for the path to scrape (all nodes share kwok's port).
METRICS_PATH_ANNOTATION = "metrics.k8s.io/resource-metrics-path"
# The third is no resource of Kubernetes': a per-pod bandwidth kwok serves for Prometheus
# (``kapstan.sandbox.custommetrics``); kwok looks a usage up by any name.
NETWORK = "network_receive_bytes_per_second"
RESOURCES = ("cpu", "memory", NETWORK)

_DEFAULTS = {"cpu": "1m", "memory": "1Mi", NETWORK: "0"}
# Label keys and values as Kubernetes allows them; also keeps the CEL built below well-formed.
_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")


def parse_selector(selector: str | Mapping[str, str]) -> dict[str, str]:
    """``"app=web,tier=api"`` (equality only, as ``kubectl -l`` takes it) or a mapping."""
    if isinstance(selector, str):
        pairs: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in selector.split(","))):
            key, sep, value = part.partition("=")
            if not sep or key.endswith("!") or value.startswith("="):
                raise SandboxError(
                    f"usage selector term {part!r} is not KEY=VALUE; only label equality is "
                    "supported (e.g. 'app=web,tier=api')"
                )
            pairs[key.strip()] = value.strip()
        selector = pairs
    for key, value in selector.items():
        if not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(value):
            raise SandboxError(f"usage selector {key}={value!r} is not a valid label")
    return dict(selector)


def _cel_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid CEL string literal


def _condition(rule: Mapping[str, Any]) -> str:
    terms = [f"pod.metadata.namespace == {_cel_string(rule['namespace'])}"]
    for key, value in sorted(rule["selector"].items()):
        k = _cel_string(key)
        terms.append(
            f"({k} in pod.metadata.labels && pod.metadata.labels[{k}] == {_cel_string(value)})"
        )
    return " && ".join(terms)


def _expression(resource: str, rules: list[dict[str, Any]]) -> str:
    note = _cel_string(f"kwok.x-k8s.io/usage-{resource}")
    expr = (
        f"{note} in pod.metadata.annotations ? Quantity(pod.metadata.annotations[{note}]) "
        f": Quantity({_cel_string(_DEFAULTS[resource])})"
    )
    # Oldest rule innermost: the newest one matching a pod decides.
    for rule in rules:
        if rule.get(resource):
            expr = f"({_condition(rule)}) ? Quantity({_cel_string(rule[resource])}) : ({expr})"
    return expr


def usage_object(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """The sandbox's one ClusterResourceUsage, for ``rules`` (oldest first)."""
    return {
        "apiVersion": crds.API_VERSION,
        "kind": "ClusterResourceUsage",
        "metadata": {
            "name": USAGE_NAME,
            "annotations": {RULES_ANNOTATION: json.dumps(rules, sort_keys=True)},
        },
        "spec": {
            "usages": [{"usage": {r: {"expression": _expression(r, rules)} for r in RESOURCES}}]
        },
    }


def merge_rule(
    rules: list[dict[str, Any]],
    namespace: str,
    selector: dict[str, str],
    cpu: str | None,
    memory: str | None,
    network: str | None = None,
) -> list[dict[str, Any]]:
    """``rules`` with the one for (namespace, selector) replaced by the new values, last."""
    for name, value in (("cpu", cpu), ("memory", memory), ("network", network)):
        if value is not None and not _QUANTITY.match(value):
            raise SandboxError(
                f"simulated {name} usage {value!r} is not a quantity (e.g. '250m', '1', '64Mi')"
            )
    if cpu is None and memory is None and network is None:
        raise SandboxError("set_usage needs cpu=, memory= or both (or network=)")
    kept = [r for r in rules if (r["namespace"], r["selector"]) != (namespace, selector)]
    rule = {"namespace": namespace, "selector": selector, "cpu": cpu, "memory": memory}
    if network is not None:
        rule[NETWORK] = network
    return [*kept, rule]


def metric_object() -> dict[str, Any]:
    """kwok's ``Metric`` serving a kubelet's ``/metrics/resource`` for every node."""
    pod_labels = [
        {"name": "namespace", "value": "pod.metadata.namespace"},
        {"name": "pod", "value": "pod.metadata.name"},
    ]
    container_labels = [{"name": "container", "value": "container.name"}, *pod_labels]

    def metric(name: str, dimension: str, kind: str, value: str, help_: str) -> dict[str, Any]:
        labels = {"container": container_labels, "pod": pod_labels, "node": []}[dimension]
        entry: dict[str, Any] = {
            "name": name,
            "dimension": dimension,
            "help": help_,
            "kind": kind,
            "value": value,
        }
        if labels:
            entry["labels"] = labels
        return entry

    return {
        "apiVersion": crds.API_VERSION,
        "kind": "Metric",
        "metadata": {"name": "metrics-resource"},
        "spec": {
            "path": METRICS_PATH,
            "metrics": [
                metric("scrape_error", "node", "gauge", "0", "1 if scraping failed"),
                metric(
                    "container_start_time_seconds",
                    "container",
                    "gauge",
                    "pod.SinceSecond()",
                    "Start time of the container since unix epoch in seconds",
                ),
                metric(
                    "container_cpu_usage_seconds_total",
                    "container",
                    "counter",
                    'pod.CumulativeUsage("cpu", container.name)',
                    "Cumulative cpu time consumed by the container in core-seconds",
                ),
                metric(
                    "container_memory_working_set_bytes",
                    "container",
                    "gauge",
                    'pod.Usage("memory", container.name)',
                    "Current working set of the container in bytes",
                ),
                metric(
                    "pod_cpu_usage_seconds_total",
                    "pod",
                    "counter",
                    'pod.CumulativeUsage("cpu")',
                    "Cumulative cpu time consumed by the pod in core-seconds",
                ),
                metric(
                    "pod_memory_working_set_bytes",
                    "pod",
                    "gauge",
                    'pod.Usage("memory")',
                    "Current working set of the pod in bytes",
                ),
                metric(
                    "node_cpu_usage_seconds_total",
                    "node",
                    "counter",
                    'node.CumulativeUsage("cpu")',
                    "Cumulative cpu time consumed by the node in core-seconds",
                ),
                metric(
                    "node_memory_working_set_bytes",
                    "node",
                    "gauge",
                    'node.Usage("memory")',
                    "Current working set of the node in bytes",
                ),
            ],
        },
    }


def read_rules(obj: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The rules stored on a ClusterResourceUsage read back from the cluster."""
    if obj is None:
        return []
    raw = (obj.get("metadata", {}).get("annotations") or {}).get(RULES_ANNOTATION, "[]")
    rules: list[dict[str, Any]] = json.loads(raw)
    return rules


def object_path() -> str:
    return crds.path("ClusterResourceUsage", USAGE_NAME)
