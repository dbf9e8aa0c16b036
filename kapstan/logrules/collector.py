"""The OpenTelemetry Collector configuration that carries out an environment's log rules.

One ``file_log`` receiver per (rule, service): it reads the service's pods' files under
``<log_root>/<namespace>_<pod>_<uid>/<container>/*.log`` (or the files of a rule's
``files`` in the pods' emptyDir volumes), parses the container runtime's format
(``container`` operator: the pod, namespace, container and uid come from the path),
keeps the service's pods only (exact pod-name pattern per workload kind), keeps the
rule's streams, joins multi-line entries (``recombine``), applies include/exclude, and
adds ``service.name``. One exporter per distinct destination, and one pipeline per
exporter (``logs/<exporter name>``) fed by the receivers of the rules that go there.

Loki takes OTLP over HTTP natively (``/otlp/v1/logs``): a ``loki`` destination is an
``otlp_http`` exporter to ``<endpoint>/otlp``. ``http`` is OTLP/HTTP to that exact URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.logrules.targets import ServiceTarget, Workload, selected
from kapstan.model.logrules import STREAMS, Destination, LogRule

LOG_ROOT = "/var/log/pods"
KUBELET_ROOT = "/var/lib/kubelet"
START_AT = ("end", "beginning")
# The component names of this collector release (it renamed filelog, otlp and otlphttp).
RECEIVER_TYPE = "file_log"
EXPORTER_TYPES = {
    "otlp": "otlp_grpc",
    "elasticsearch": "elasticsearch",
    "kafka": "kafka",
    "loki": "otlp_http",
    "http": "otlp_http",
    "file": "file",
}


@dataclass(frozen=True)
class Scope:
    """Where the collector runs and reads: the environment's namespace, the node's log
    folders (tests point them at a temporary folder) and where a new file starts."""

    environment: str
    namespace: str
    log_root: str = LOG_ROOT
    kubelet_root: str = KUBELET_ROOT
    start_at: str = "end"


def render_config(
    rules: Sequence[LogRule], targets: Sequence[ServiceTarget], scope: Scope
) -> dict[str, Any]:
    """The collector's configuration (plain data, YAML-ready) for ``rules`` over the
    deployed ``targets``. Rules that select nothing add nothing; with nothing selected
    at all the collector runs with no pipeline but a do-nothing one (it refuses none)."""
    receivers: dict[str, Any] = {}
    exporters: dict[str, Any] = {}
    feeds: dict[str, list[str]] = {}
    names: dict[tuple[str, str], str] = {}
    for rule in rules:
        exporter = _exporter_id(rule, names, exporters)
        for target in selected(rule, targets):
            config = _receiver(rule, target, scope)
            if not config["include"]:
                continue  # files in no emptyDir of this service: nothing to read (warned)
            receiver = f"{RECEIVER_TYPE}/{rule.name}.{target.app}.{target.service}"
            receivers[receiver] = config
            feeds.setdefault(exporter, []).append(receiver)
    pipelines = {
        f"logs/{exporter.partition('/')[2]}": {
            "receivers": sorted(feeds[exporter]),
            "processors": ["batch"],
            "exporters": [exporter],
        }
        for exporter in sorted(feeds)
    }
    return {
        "receivers": receivers,
        "processors": {"batch": {}},
        "exporters": {e: c for e, c in exporters.items() if e in feeds},
        "service": {
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": pipelines,
        },
    }


def _exporter_id(
    rule: LogRule, names: dict[tuple[str, str], str], exporters: dict[str, Any]
) -> str:
    """One exporter per distinct destination, named after the first rule that uses it."""
    config = exporter_config(rule.destination)
    key = (rule.destination.kind, json.dumps(config, sort_keys=True))
    if key not in names:
        kind = rule.destination.kind
        if kind == "otlp" and rule.destination.settings.get("protocol") == "http":
            kind = "http"
        names[key] = f"{EXPORTER_TYPES[kind]}/{rule.name}"
        exporters[names[key]] = config
    return names[key]


def exporter_config(destination: Destination) -> dict[str, Any]:
    s = destination.settings
    tls = {"tls": {"insecure": True}} if s.get("insecure") else {}
    kind = destination.kind
    if kind == "otlp" and s["protocol"] == "grpc":
        return {"endpoint": s["endpoint"], **tls}
    if kind == "otlp":
        return {"endpoint": s["endpoint"], **tls}
    if kind == "loki":
        return {"endpoint": str(s["endpoint"]).rstrip("/") + "/otlp", **tls}
    if kind == "http":
        return {"logs_endpoint": s["endpoint"], "encoding": s["encoding"], **tls}
    if kind == "elasticsearch":
        return {
            "endpoints": list(s["endpoints"]),
            **({"logs_index": s["index"]} if s.get("index") else {}),
        }
    if kind == "kafka":
        logs = {"encoding": s["encoding"], **({"topic": s["topic"]} if s.get("topic") else {})}
        return {"brokers": list(s["brokers"]), "logs": logs}
    return {"path": s["path"]}


def _receiver(rule: LogRule, target: ServiceTarget, scope: Scope) -> dict[str, Any]:
    if rule.files:
        include, head = _file_sources(rule, target, scope)
    else:
        include, head = _stream_sources(rule, target, scope)
    return {
        "include": include,
        "start_at": scope.start_at,
        "include_file_path": True,
        "include_file_name": False,
        "operators": [*head, *_entry_operators(rule, target, scope)],
    }


def _stream_sources(
    rule: LogRule, target: ServiceTarget, scope: Scope
) -> tuple[list[str], list[dict[str, Any]]]:
    """The pods' container log files, and the operators that keep this service's own."""
    root = scope.log_root.rstrip("/")
    include = sorted(
        {
            f"{root}/{scope.namespace}_{w.name}{'' if w.kind == 'Pod' else '-*'}_*/"
            f"{container}/*.log"
            for w in target.workloads
            for container in _containers(rule, w)
        }
    )
    pods = "|".join(w.pod_pattern for w in target.workloads) or "$^"
    ops: list[dict[str, Any]] = [
        {"type": "container", "id": "container", "add_metadata_from_filepath": True},
        _drop_unless(f'resource["k8s.pod.name"] matches {_quote(f"^(?:{pods})$")}'),
    ]
    if tuple(rule.streams) != STREAMS:
        ops.append(_drop_unless(f'attributes["log.iostream"] == {_quote(rule.streams[0])}'))
    return include, ops


def _file_sources(
    rule: LogRule, target: ServiceTarget, scope: Scope
) -> tuple[list[str], list[dict[str, Any]]]:
    """Files written inside the containers: read where the node keeps the emptyDir
    volume they are in; the pod's uid comes from the path."""
    root = scope.kubelet_root.rstrip("/")
    include = sorted(
        {
            f"{root}/pods/*/volumes/kubernetes.io~empty-dir/{mount.volume}"
            f"{path[len(mount.path.rstrip('/')) :]}"
            for w in target.workloads
            for path in rule.files
            for mount in w.mounts
            if (not rule.containers or mount.container in rule.containers)
            and path.startswith(mount.path.rstrip("/") + "/")
        }
    )
    ops: list[dict[str, Any]] = [
        {
            "type": "regex_parser",
            "parse_from": 'attributes["log.file.path"]',
            "regex": rf"^{root}/pods/(?P<uid>[^/]+)/volumes/",
            "parse_to": "resource",
        },
        {"type": "move", "from": 'resource["uid"]', "to": 'resource["k8s.pod.uid"]'},
        _add("k8s.namespace.name", scope.namespace),
    ]
    return include, ops


def _entry_operators(rule: LogRule, target: ServiceTarget, scope: Scope) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    if rule.first_line:
        ops.append(
            {
                "type": "recombine",
                "combine_field": "body",
                "combine_with": "\n",
                "is_first_entry": f"body matches {_quote(rule.first_line)}",
                "source_identifier": 'attributes["log.file.path"]',
            }
        )
    if rule.include:
        ops.append(_drop_unless(" or ".join(f"body matches {_quote(p)}" for p in rule.include)))
    if rule.exclude:
        ops.append(
            {
                "type": "filter",
                "expr": " or ".join(f"body matches {_quote(p)}" for p in rule.exclude),
            }
        )
    ops += [
        _add("service.name", target.service),
        _add("kapstan.application", target.app),
        _add("kapstan.environment", scope.environment),
    ]
    return ops


def _containers(rule: LogRule, workload: Workload) -> list[str]:
    if not rule.containers:
        return ["*"]
    return [c for c in workload.containers if c in rule.containers]


def _drop_unless(condition: str) -> dict[str, Any]:
    # A stanza filter drops the entries its expression is true for.
    return {"type": "filter", "expr": f"not ({condition})"}


def _add(attribute: str, value: str) -> dict[str, Any]:
    return {"type": "add", "field": f'resource["{attribute}"]', "value": value}


def _quote(text: str) -> str:
    """A string literal of the collector's expression language (Go-style escapes)."""
    return json.dumps(text)


def unused_rules(rules: Sequence[LogRule], config: Mapping[str, Any]) -> list[str]:
    """The names of rules that became no receiver: they select no deployed service, or
    their files are in no emptyDir volume of the services they select."""
    used = {r.partition("/")[2].split(".")[0] for r in config.get("receivers", {})}
    return [r.name for r in rules if r.name not in used]
