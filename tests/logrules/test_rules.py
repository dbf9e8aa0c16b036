"""Log rules, pure: reading them (errors name the place, the rule and the field), reading
them from kapstan.yaml with line numbers, the collector configuration and the objects."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapstan.errors import InputError, TemplateError
from kapstan.logrules.collector import Scope, render_config, unused_rules
from kapstan.logrules.objects import CONFIG_HASH_ANNOTATION, collector_objects
from kapstan.logrules.rules import parse_rules, to_json
from kapstan.logrules.targets import ServiceTarget, Workload, workloads_of
from kapstan.templates.parser import parse_template

FILE = {"file": {"path": "/tmp/out.json"}}


def parse(items: list[Any]) -> Any:
    return parse_rules(items, lambda i: f"rules.yaml:{i + 1}")


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"name": "a"}, ["rules.yaml:1", "'a'", "field 'to' is missing"]),
        ({"name": "a", "to": {"splunk": {}}}, ["'splunk' is not a destination", "loki"]),
        ({"name": "a", "to": {"loki": {}}}, ["field 'to'.loki", "field 'endpoint' is missing"]),
        ({"name": "a", "to": {"loki": {"endpoint": "loki:3100"}}}, ["not an http(s) URL"]),
        ({"name": "a", "to": {"otlp": {"endpoint": "c:4317", "protocol": "udp"}}}, ["'udp'"]),
        ({"name": "a", "to": {"kafka": {"brokers": ["kafka"]}}}, ["'kafka' is not HOST:PORT"]),
        ({"name": "a", "include": ["(?=x)"], "to": FILE}, ["field 'include'", "RE2"]),
        ({"name": "a", "exclude": ["("], "to": FILE}, ["field 'exclude'", "not a regular"]),
        ({"name": "a", "multiline": {"first": "x"}, "to": FILE}, ["field 'multiline'"]),
        ({"name": "a", "streams": ["stdin"], "to": FILE}, ["'stdin' is not stdout or stderr"]),
        ({"name": "a", "files": ["log/x.log"], "to": FILE}, ["field 'files'", "absolute"]),
        ({"name": "a", "color": "red", "to": FILE}, ["unknown field 'color'"]),
        ({"name": "Bad_Name", "to": FILE}, ["rule #1", "DNS label"]),
        ({"name": "a", "services": ["a/b/c"], "to": FILE}, ["field 'services'", "'a/b/c'"]),
    ],
)
def test_a_bad_rule_is_named_with_its_field(rule: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(InputError) as found:
        parse([rule])
    for word in words:
        assert word in found.value.message


def test_rules_read_back_as_written() -> None:
    written = [
        {
            "name": "errors",
            "services": ["shop/api", "web"],
            "containers": ["app"],
            "streams": ["stderr"],
            "include": ["ERROR"],
            "exclude": ["healthz"],
            "multiline": {"firstLine": "^\\d"},
            "to": {"otlp": {"endpoint": "collector:4317", "protocol": "grpc"}},
        },
        {
            "name": "files",
            "files": ["/var/log/app/*.log"],
            "to": {"loki": {"endpoint": "http://l:3100"}},
        },
    ]
    rules = parse(written)
    assert [to_json(r) for r in rules] == written
    assert parse([to_json(r) for r in rules]) == rules


TEMPLATE = """\
name: shop
services:
  api:
    manifests: [api.yaml]
    logs:
      - include: ['ERROR']
        to: {loki: {endpoint: 'http://loki:3100'}}
  web:
    manifests: [web.yaml]
logs:
  - name: all
    to: {file: {path: /tmp/all.json}}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: NAME}
spec:
  selector: {matchLabels: {app: NAME}}
  template:
    metadata: {labels: {app: NAME}}
    spec:
      containers: [{name: app, image: nginx}]
"""


def template_files(kapstan_yaml: str) -> dict[str, str]:
    return {
        "kapstan.yaml": kapstan_yaml,
        "api.yaml": DEPLOYMENT.replace("NAME", "api"),
        "web.yaml": DEPLOYMENT.replace("NAME", "web"),
    }


def test_template_rules_at_the_top_and_under_a_service() -> None:
    template = parse_template(template_files(TEMPLATE))
    assert [(r.name, r.services) for r in template.logs] == [("all", ()), ("api-logs-1", ("api",))]
    assert template.logs[1].where == "kapstan.yaml:6:9"


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            "include: ['ERROR']",
            "include: ['(?!x)']",
            ["kapstan.yaml:6:9", "'api-logs-1'", "include"],
        ),
        (
            "name: all",
            "name: all\n    services: [nope]",
            ["kapstan.yaml:11:5", "'nope'", "api, web"],
        ),
        ("{path: /tmp/all.json}", "{path: rel.json}", ["kapstan.yaml:11:5", "'path'"]),
        (
            "    logs:\n      -",
            "    logs:\n      - services: [web]\n       ",
            ["unknown field 'services'"],
        ),
    ],
)
def test_a_bad_template_rule_names_its_line(old: str, new: str, words: list[str]) -> None:
    with pytest.raises(TemplateError) as found:
        parse_template(template_files(TEMPLATE.replace(old, new)))
    for word in words:
        assert word in found.value.message


def test_log_rules_do_not_change_the_service_sources() -> None:
    before = parse_template(template_files(TEMPLATE))
    after = parse_template(template_files(TEMPLATE.replace("ERROR", "WARN")))
    assert before.services["api"].sources == after.services["api"].sources


def test_workloads_and_the_pod_name_patterns() -> None:
    objects: list[dict[str, Any]] = [
        {
            "kind": "StatefulSet",
            "metadata": {"name": "db"},
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "pg",
                                "volumeMounts": [{"name": "tmp", "mountPath": "/var/log/pg"}],
                            }
                        ],
                        "volumes": [{"name": "tmp", "emptyDir": {}}],
                    }
                }
            },
        },
        {"kind": "Service", "metadata": {"name": "db"}},
    ]
    (found,) = workloads_of(objects)
    assert (found.kind, found.name, found.containers) == ("StatefulSet", "db", ("pg",))
    assert found.pod_pattern == "db-[0-9]+"
    assert found.mounts[0].volume == "tmp"


def test_the_config_has_a_pipeline_per_destination_and_loki_is_otlp_over_http() -> None:
    rules = parse(
        [
            {"name": "a", "services": ["api"], "to": {"loki": {"endpoint": "http://loki:3100/"}}},
            {"name": "b", "services": ["web"], "to": {"loki": {"endpoint": "http://loki:3100/"}}},
            {"name": "c", "to": {"kafka": {"brokers": ["k:9092"], "topic": "logs"}}},
            {"name": "d", "services": ["nothing"], "to": FILE},
        ]
    )
    targets = [
        ServiceTarget("shop", "api", (Workload("Deployment", "api", ("app",)),)),
        ServiceTarget("shop", "web", (Workload("Deployment", "web", ("app",)),)),
    ]
    config = render_config(rules, targets, Scope("dev", "shop-dev"))
    assert config["exporters"] == {
        "otlp_http/a": {"endpoint": "http://loki:3100/otlp"},
        "kafka/c": {"brokers": ["k:9092"], "logs": {"encoding": "otlp_proto", "topic": "logs"}},
    }
    assert config["service"]["pipelines"]["logs/a"]["receivers"] == [
        "file_log/a.shop.api",
        "file_log/b.shop.web",
    ]
    assert config["receivers"]["file_log/a.shop.api"]["include"] == [
        "/var/log/pods/shop-dev_api-*_*/*/*.log"
    ]


def test_file_rules_read_the_emptydir_volume_on_the_node() -> None:
    (rule,) = parse([{"name": "f", "files": ["/var/log/pg/*.log"], "to": FILE}])
    target = ServiceTarget(
        "shop",
        "db",
        workloads_of(
            [
                {
                    "kind": "Pod",
                    "metadata": {"name": "db"},
                    "spec": {
                        "containers": [
                            {
                                "name": "pg",
                                "volumeMounts": [{"name": "logs", "mountPath": "/var/log/pg"}],
                            }
                        ],
                        "volumes": [{"name": "logs", "emptyDir": {}}],
                    },
                }
            ]
        ),
    )
    config = render_config([rule], [target], Scope("dev", "shop-dev"))
    assert config["receivers"]["file_log/f.shop.db"]["include"] == [
        "/var/lib/kubelet/pods/*/volumes/kubernetes.io~empty-dir/logs/*.log"
    ]
    daemonset = collector_objects(config, Scope("dev", "shop-dev"))[2]
    paths = [v["hostPath"]["path"] for v in daemonset["spec"]["template"]["spec"]["volumes"][1:]]
    assert paths == ["/var/log/pods", "/var/lib/kubelet/pods"]


def test_the_objects_roll_when_the_config_changes() -> None:
    scope = Scope("dev", "shop-dev")
    (a,) = parse([{"name": "a", "to": FILE}])
    (b,) = parse([{"name": "a", "include": ["x"], "to": FILE}])
    target = [ServiceTarget("shop", "api", (Workload("Deployment", "api", ("app",)),))]
    one = collector_objects(render_config([a], target, scope), scope)
    two = collector_objects(render_config([b], target, scope), scope)
    assert [o["kind"] for o in one] == ["ServiceAccount", "ConfigMap", "DaemonSet"]
    assert {o["metadata"]["namespace"] for o in one} == {"shop-dev"}

    def digest(objs: list[dict[str, Any]]) -> str:
        return str(objs[2]["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION])

    assert digest(one) != digest(two)


NAMES = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
PATTERNS = st.sampled_from(["ERROR", "^\\d{4}-", "GET /healthz", "(WARN|ERROR) [a-z]+", "x{2,3}"])
DESTINATIONS = st.sampled_from(
    [
        {"otlp": {"endpoint": "c:4317", "protocol": "grpc"}},
        {"loki": {"endpoint": "http://loki:3100"}},
        {"http": {"endpoint": "https://h/v1/logs", "encoding": "json"}},
        {"kafka": {"brokers": ["k:9092"], "encoding": "raw"}},
        {"elasticsearch": {"endpoints": ["http://es:9200"]}},
        FILE,
    ]
)


@st.composite
def written_rules(draw: st.DrawFn) -> dict[str, Any]:
    rule: dict[str, Any] = {"name": draw(NAMES)}
    for key in ("services", "containers"):
        if draw(st.booleans()):
            rule[key] = draw(st.lists(NAMES, min_size=1, max_size=3))
    if draw(st.booleans()):
        rule["files"] = ["/var/log/app/*.log"]
    elif draw(st.booleans()):
        rule["streams"] = [draw(st.sampled_from(["stdout", "stderr"]))]
    for key in ("include", "exclude"):
        if draw(st.booleans()):
            rule[key] = draw(st.lists(PATTERNS, min_size=1, max_size=2))
    if draw(st.booleans()):
        rule["multiline"] = {"firstLine": draw(PATTERNS)}
    rule["to"] = draw(DESTINATIONS)
    return rule


@settings(max_examples=50, deadline=None)
@given(written_rules())
def test_any_rule_reads_back_the_same_and_renders(rule: dict[str, Any]) -> None:
    (parsed,) = parse([rule])
    assert parse([to_json(parsed)]) == (parsed,)
    target = ServiceTarget("shop", "api", (Workload("Deployment", "api", ("app",)),))
    config = render_config([parsed], [target], Scope("dev", "ns"))
    for receiver in config["receivers"].values():
        assert receiver["operators"][-3:] == [
            {"type": "add", "field": 'resource["service.name"]', "value": "api"},
            {"type": "add", "field": 'resource["kapstan.application"]', "value": "shop"},
            {"type": "add", "field": 'resource["kapstan.environment"]', "value": "dev"},
        ]


def test_a_files_rule_outside_every_emptydir_reads_nothing_and_is_named() -> None:
    (rule,) = parse([{"name": "f", "files": ["/data/app.log"], "to": FILE}])
    target = ServiceTarget("shop", "api", (Workload("Deployment", "api", ("app",)),))
    config = render_config([rule], [target], Scope("dev", "ns"))
    assert config["receivers"] == {} and config["service"]["pipelines"] == {}
    assert unused_rules([rule], config) == ["f"]
