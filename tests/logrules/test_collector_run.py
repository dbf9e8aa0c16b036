"""The rendered configuration, run by the real collector (built from Go modules) over a
folder laid out like a node's /var/log/pods: the selected service's lines arrive at the
file exporter with their service/pod/namespace attributes, the other services' do not; a
multi-line rule joins a stack trace; an exclude pattern drops lines; a stream rule keeps
its stream only. One collector run serves every assertion."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapstan import otelcol
from kapstan.logrules.collector import Scope, render_config
from kapstan.logrules.objects import config_text
from kapstan.logrules.rules import parse_rules
from kapstan.logrules.targets import ServiceTarget, Workload, workloads_of
from tests.logrules.collectorrun import records, run_collector

NAMESPACE = "shop-dev"
API_POD = "api-5d8f7c9b6d-k2x7q"
GATEWAY_POD = "api-gateway-7c9b6d5d8f-p9r4t"
WEB_POD = "web-6b7c8d9f5c-z8w2m"
API_LINES = [
    ("stdout", "2026-12-06 INFO started"),
    ("stdout", "2026-12-06 ERROR payment failed"),
    ("stdout", "\tat shop.Payments.charge(Payments.java:42)"),
    ("stdout", "\tat shop.Api.handle(Api.java:7)"),
    ("stdout", "2026-12-06 INFO GET /healthz 200"),
    ("stderr", "2026-12-06 WARN slow answer"),
    ("stdout", "2026-12-06 INFO done"),
    # Starts an entry, so "done" is complete at once (the last entry waits for the
    # multi-line rule's 5 s flush period; nothing waits for this one).
    ("stdout", "2026-12-06 INFO end"),
]
WEB_LINES = [("stdout", "2026-12-06 INFO web page served"), ("stderr", "web stderr only")]
DB_UID = "0b8a5c1e-0000-4000-8000-000000000004"
DB_POD: dict[str, Any] = {
    "kind": "StatefulSet",
    "metadata": {"name": "db"},
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {"name": "pg", "volumeMounts": [{"name": "logs", "mountPath": "/var/log/pg"}]}
                ],
                "volumes": [{"name": "logs", "emptyDir": {}}],
            }
        }
    },
}
GATEWAY_LINES = [("stdout", "2026-12-06 INFO gateway line")]
RULES = [
    {
        "name": "api-errors",
        "services": ["shop/api"],
        "exclude": ["GET /healthz"],
        "multiline": {"firstLine": r"^\d{4}-\d{2}-\d{2} "},
        "to": {"file": {"path": "OUT/api.json"}},
    },
    {
        "name": "db-files",
        "services": ["db"],
        "files": ["/var/log/pg/*.log"],
        "to": {"file": {"path": "OUT/db.json"}},
    },
    {
        "name": "web-stderr",
        "services": ["web"],
        "streams": ["stderr"],
        "to": {"file": {"path": "OUT/web.json"}},
    },
]


@dataclass(frozen=True)
class Run:
    api: list[dict[str, Any]]  # log records of the first file exporter, with resource attrs
    web: list[dict[str, Any]]
    db: list[dict[str, Any]]  # a files rule: read from the pod's emptyDir on the node
    config: dict[str, Any]


def cri(stream: str, text: str, n: int) -> str:
    """One line as the container runtime writes it (CRI format, a full line: F)."""
    return f"2026-12-06T10:00:{n:02d}.000000000Z {stream} F {text}\n"


def write_pod(root: Path, pod: str, uid: str, lines: list[tuple[str, str]]) -> None:
    folder = root / f"{NAMESPACE}_{pod}_{uid}" / "app"
    folder.mkdir(parents=True)
    (folder / "0.log").write_text("".join(cri(s, t, n) for n, (s, t) in enumerate(lines)))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    base = tmp_path_factory.mktemp("collector")
    pods, out = base / "pods", base / "out"
    out.mkdir()
    write_pod(pods, API_POD, "0b8a5c1e-0000-4000-8000-000000000001", API_LINES)
    write_pod(pods, GATEWAY_POD, "0b8a5c1e-0000-4000-8000-000000000002", GATEWAY_LINES)
    write_pod(pods, WEB_POD, "0b8a5c1e-0000-4000-8000-000000000003", WEB_LINES)
    volume = base / "kubelet" / "pods" / DB_UID / "volumes" / "kubernetes.io~empty-dir" / "logs"
    volume.mkdir(parents=True)
    (volume / "postgres.log").write_text("db file line one\ndb file line two\n")
    text = json.dumps(RULES).replace("OUT", str(out))
    rules = parse_rules(json.loads(text), lambda i: f"rules.json #{i + 1}")
    targets = [
        ServiceTarget("shop", "api", (Workload("Deployment", "api", ("app",)),)),
        ServiceTarget("shop", "api-gateway", (Workload("Deployment", "api-gateway", ("app",)),)),
        ServiceTarget("shop", "web", (Workload("Deployment", "web", ("app",)),)),
        ServiceTarget("shop", "db", workloads_of([DB_POD])),
    ]
    scope = Scope(
        "dev",
        NAMESPACE,
        log_root=str(pods),
        kubelet_root=str(base / "kubelet"),
        start_at="beginning",
    )
    config = render_config(rules, targets, scope)
    # Done when the api's "done" entry, the web stderr line and both db file lines
    # have arrived.
    run_collector(
        config,
        base,
        lambda: (
            any("done" in r["body"] for r in records(out / "api.json"))
            and bool(records(out / "web.json"))
            and len(records(out / "db.json")) == 2
        ),
    )
    yield Run(
        records(out / "api.json"), records(out / "web.json"), records(out / "db.json"), config
    )


def test_the_selected_service_lines_arrive_with_their_attributes(run: Run) -> None:
    bodies = [r["body"] for r in run.api]
    assert "2026-12-06 INFO started" in bodies
    first = run.api[0]["resource"]
    assert first["service.name"] == "api"
    assert first["k8s.pod.name"] == API_POD
    assert first["k8s.namespace.name"] == NAMESPACE
    assert first["k8s.container.name"] == "app"
    assert first["kapstan.application"] == "shop"
    assert first["kapstan.environment"] == "dev"


def test_other_services_lines_do_not_arrive(run: Run) -> None:
    # The gateway's pods match the api's folder glob (api-*): the pod-name pattern drops them.
    texts = " ".join(r["body"] for r in run.api)
    assert "gateway" not in texts and "web" not in texts
    assert {r["resource"]["service.name"] for r in run.api} == {"api"}


def test_a_multiline_rule_joins_a_stack_trace(run: Run) -> None:
    joined = [r["body"] for r in run.api if "payment failed" in r["body"]]
    assert joined == [
        "2026-12-06 ERROR payment failed\n\tat shop.Payments.charge(Payments.java:42)\n"
        "\tat shop.Api.handle(Api.java:7)"
    ]


def test_an_exclude_pattern_drops_lines(run: Run) -> None:
    assert not [r for r in run.api if "healthz" in r["body"]]
    assert [r["body"] for r in run.api if "WARN" in r["body"]] == ["2026-12-06 WARN slow answer"]


def test_a_stream_rule_keeps_its_stream_and_goes_to_its_own_destination(run: Run) -> None:
    assert [r["body"] for r in run.web] == ["web stderr only"]
    assert run.web[0]["resource"]["service.name"] == "web"
    assert sorted(run.config["service"]["pipelines"]) == [
        "logs/api-errors",
        "logs/db-files",
        "logs/web-stderr",
    ]


def test_a_files_rule_reads_the_pods_emptydir_volume(run: Run) -> None:
    assert [r["body"] for r in run.db] == ["db file line one", "db file line two"]
    resource = run.db[0]["resource"]
    assert resource["k8s.pod.uid"] == DB_UID
    assert resource["k8s.namespace.name"] == NAMESPACE
    assert resource["service.name"] == "db"


def test_every_built_destination_passes_the_collectors_own_check(tmp_path: Path) -> None:
    """Each destination a rule can name (but Elasticsearch, not in the local build, see
    kapstan.otelcol) renders an exporter configuration the real collector accepts."""
    destinations: list[dict[str, Any]] = [
        {"otlp": {"endpoint": "127.0.0.1:4317", "insecure": True}},
        {"otlp": {"endpoint": "http://127.0.0.1:4318", "protocol": "http"}},
        {"loki": {"endpoint": "http://127.0.0.1:3100"}},
        {"http": {"endpoint": "http://127.0.0.1:8080/logs", "encoding": "proto"}},
        {"kafka": {"brokers": ["127.0.0.1:9092"], "topic": "logs", "encoding": "otlp_json"}},
        {"file": {"path": str(tmp_path / "out.json")}},
    ]
    rules = parse_rules(
        [{"name": f"d{i}", "to": to} for i, to in enumerate(destinations)],
        lambda i: f"#{i + 1}",
    )
    target = ServiceTarget("shop", "api", (Workload("Deployment", "api", ("app",)),))
    config = render_config(rules, [target], Scope("dev", NAMESPACE))
    assert len(config["service"]["pipelines"]) == len(destinations)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(config_text(config))
    otelcol.validate(otelcol.ensure_collector(progress=lambda _m: None), config_file)
