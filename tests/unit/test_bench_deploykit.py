"""bench/deploykit.py: the deploy benchmark's application, helm chart and audit-log reading."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from bench import deploykit as kit
from kapstan.render.render import render_app
from kapstan.templates.parser import parse_template

NS = "indep-kubectl-r1"
KUBECTL = re.compile(r"^kubectl")


def event(
    audit_id: str,
    verb: str,
    *,
    agent: str = "kubectl/v1.36.3 (linux/amd64)",
    resource: str = "configmaps",
    name: str = "l0-s000",
    namespace: str = NS,
    stage: str = "ResponseComplete",
    code: int = 200,
    uri: str = "/api/v1/namespaces/x/configmaps/l0-s000?fieldManager=kubectl",
    at: str = "2026-12-05T23:30:01.500000Z",
) -> dict[str, Any]:
    return {
        "auditID": audit_id,
        "stage": stage,
        "verb": verb,
        "userAgent": agent,
        "requestURI": uri,
        "objectRef": {"resource": resource, "name": name, "namespace": namespace},
        "responseStatus": {"code": code},
        "requestReceivedTimestamp": "2026-12-05T23:30:01.000000Z",
        "stageTimestamp": at,
    }


def test_template_renders_four_objects_per_service_with_level_dependencies() -> None:
    levels = kit.levels_of(2, 3)
    template = parse_template(kit.template_files("bench-chain", levels))
    assert template.services["l2-s001"].depends_on == ("l1-s000", "l1-s001")
    assert template.services["l0-s000"].depends_on == ()
    rendered = render_app(template, {}, app="a", namespace="ns", hash_key=b"unit test key")
    objects = [o for s in rendered.services.values() for o in s.objects]
    assert [(o["kind"], o["metadata"]["name"]) for o in objects[:4]] == [
        ("ConfigMap", "l0-s000"),
        ("Secret", "l0-s000"),
        ("Service", "l0-s000"),
        ("Deployment", "l0-s000"),
    ]
    assert len(objects) == 4 * 6
    assert objects[0]["data"] == {"greeting": kit.GREETING}
    keys = kit.object_keys(["l0-s000"])
    assert keys == [
        ("configmaps", "l0-s000"),
        ("secrets", "l0-s000"),
        ("services", "l0-s000"),
        ("deployments", "l0-s000"),
    ]


def test_chart_holds_the_manifests_without_namespace_and_escapes_actions() -> None:
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "elsewhere"},
        "data": {"t": "{{ .Values.x }} and {{{{"},
    }
    files = kit.chart_files("bench", {"c": [obj]})
    assert yaml.safe_load(files["Chart.yaml"])["apiVersion"] == "v2"
    text = files["templates/c.yaml"]
    assert "namespace" not in text
    # Every {{ is printed by an action, so helm renders the text back to itself.
    assert text.count('{{ "{{" }}') == 3
    assert text.replace('{{ "{{" }}', "{{") == kit.manifests_yaml([obj])
    assert obj["metadata"]["namespace"] == "elsewhere"  # the caller's object is not changed


def test_tally_counts_one_clients_requests_and_first_writes() -> None:
    events = [
        event("1", "get", stage="ResponseComplete", uri="/api", resource="", name=""),
        event("2", "patch", at="2026-12-05T23:30:02.000000Z"),
        event("3", "patch", at="2026-12-05T23:30:03.000000Z"),  # the same object again
        event("4", "patch", uri="/x?dryRun=All&fieldManager=kubectl", name="dry"),
        event("5", "create", code=409, name="refused"),
        event("6", "patch", namespace="other", name="elsewhere"),
        event("7", "watch", stage="ResponseStarted", resource="deployments", name=""),
        event("7", "watch", stage="ResponseComplete", resource="deployments", name=""),
        event("8", "patch", agent="kube-controller-manager/v1.36.3", name="not-ours"),
        event("9", "patch", name="l0-s001", resource="secrets", at="2026-12-05T23:30:04.250000Z"),
    ]
    counted = kit.tally(events, KUBECTL, NS)
    assert counted.requests == 8  # the watch once; the controller-manager's not at all
    assert (counted.watches, counted.dry_runs, counted.writes) == (1, 1, 3)
    assert counted.written() == [("configmaps", "l0-s000"), ("secrets", "l0-s001")]
    assert counted.first_write[("configmaps", "l0-s000")] == kit.audit_time(
        "2026-12-05T23:30:02.000000Z"
    )
    assert counted.all_applied([("configmaps", "l0-s000")]) == kit.audit_time(
        "2026-12-05T23:30:02Z"
    )
    assert counted.all_applied() == kit.audit_time("2026-12-05T23:30:04.25Z")
    assert counted.first_request == kit.audit_time("2026-12-05T23:30:01Z")
    assert kit.tally(events, re.compile("^helm"), NS).requests == 0


def test_a_controllers_requests_and_its_busiest_second() -> None:
    controller = (
        "kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/abc/deployment-controller"
    )
    events = [
        {**event(str(i), "update", agent=controller), "requestReceivedTimestamp": at}
        for i, at in enumerate(
            ["2026-12-05T23:30:01.100000Z"] * 3 + ["2026-12-05T23:30:02.900000Z"] * 2
        )
    ]
    events.append(event("x", "update", agent=controller, namespace="other"))
    events.append(event("y", "update", agent=controller.replace("deployment", "replicaset")))
    pattern = re.compile(r"kube-controller-manager.*/deployment-controller$")
    assert kit.busiest_second(events, pattern, NS) == (5, 3)
    assert kit.busiest_second([], pattern, NS) == (0, 0)


def test_audit_events_skip_a_line_still_being_written() -> None:
    whole = json.dumps(event("1", "get"))
    assert [e["auditID"] for e in kit.audit_events(whole + "\n" + whole[:40])] == ["1"]


def test_deployment_ready_needs_the_new_generation_rolled_out() -> None:
    def deployment(generation: int, **status: int) -> dict[str, Any]:
        return {"metadata": {"generation": generation}, "spec": {"replicas": 1}, "status": status}

    done = {"observedGeneration": 2, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}
    assert kit.deployment_ready(deployment(2, **done))
    assert not kit.deployment_ready(deployment(3, **done))  # not observed yet
    assert not kit.deployment_ready(deployment(2, **{**done, "replicas": 2}))  # old pod left
    assert not kit.deployment_ready(deployment(2, **{**done, "availableReplicas": 0}))
    assert not kit.deployment_ready({"metadata": {"generation": 1}, "spec": {}})


def test_median_and_ratio_leave_out_unknowns() -> None:
    assert kit.median([None, 3.0, 1.0]) == 2.0
    assert kit.median([None]) is None
    assert kit.ratio(1.0, 2.0) == 0.5
    assert kit.ratio(None, 2.0) is None and kit.ratio(1.0, 0.0) is None


# --- the cluster's floor: what no tool can beat on this machine -----------------------------


def test_the_floor_is_the_cheapest_runs_cluster_cpu_over_the_cores() -> None:
    runs = [
        kit.ClusterWork("kapstan", 6.0, 266),
        kit.ClusterWork("helm", 6.3, 251),
        kit.ClusterWork("kubectl", 6.8, 323),
    ]
    floor = kit.cluster_floor(runs, cores=2, qps=500, burst=1000)
    assert floor is not None
    assert floor.cpu.tool == "kapstan"
    assert floor.cpu_seconds == 3.0
    # Within its burst the deployment controller never waits on its client limit.
    assert floor.controller_seconds == 0
    assert floor.seconds == 3.0


def test_at_the_upstream_limit_the_deployment_controller_is_the_floor() -> None:
    runs = [kit.ClusterWork("kapstan", 6.0, 266), kit.ClusterWork("helm", 6.3, 251)]
    floor = kit.cluster_floor(runs, cores=2, qps=20, burst=30)
    assert floor is not None
    # The fewest requests any tool's run caused, past the burst, at 20/s.
    assert floor.controller_requests == 251
    assert floor.controller_seconds == (251 - 30) / 20
    assert floor.seconds == floor.controller_seconds


def test_no_run_no_floor() -> None:
    assert kit.cluster_floor([], cores=2, qps=20, burst=30) is None
