"""``autoscaling:`` beyond CPU and memory: custom, object and external metrics and HPA v2
behaviour, rendered into autoscaling/v2 HPAs; bad values named by file, line, service, field.

Pure: no cluster (the apiserver's acceptance is tests/autoscaling/test_autoscaling_live.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.errors import InputError
from kapstan.render.render import render_app
from kapstan.templates.loader import parse_template

API = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api:1}]
"""


def _hpa(autoscaling: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    files = {
        "kapstan.yaml": "name: t\nservices:\n  api:\n    manifests: [api.yaml]\n"
        f"    autoscaling:\n{autoscaling}",
        "api.yaml": API,
    }
    rendered = render_app(
        parse_template(files), values or {}, app="shop", namespace="dev", hash_key=None
    )
    [hpa] = [o for o in rendered.services["api"].objects if o["kind"] == "HorizontalPodAutoscaler"]
    return hpa


FULL = """\
      min: 2
      max: 10
      metrics:
        - pods: network_receive_bytes_per_second
          average: 5Mi
        - object: {kind: Ingress, name: web}
          metric: requests_per_second
          value: 10k
        - external: queue_messages_ready
          selector: {queue: orders}
          average: 30
        - resource: memory
          average: 200Mi
      behavior:
        scaleUp:
          stabilizationWindowSeconds: 0
          policies:
            - {type: Pods, value: 4, periodSeconds: 15}
            - {type: Percent, value: 100, periodSeconds: 15}
          selectPolicy: Max
        scaleDown:
          stabilizationWindowSeconds: 5m
          policies: [{type: Percent, value: 50, periodSeconds: 60}]
"""


def test_custom_object_external_metrics_and_behavior_render_into_the_hpa() -> None:
    spec = _hpa(FULL)["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 10)
    assert spec["metrics"] == [
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": "network_receive_bytes_per_second"},
                "target": {"type": "AverageValue", "averageValue": "5Mi"},
            },
        },
        {
            "type": "Object",
            "object": {
                "describedObject": {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "Ingress",
                    "name": "web",
                },
                "metric": {"name": "requests_per_second"},
                "target": {"type": "Value", "value": "10k"},
            },
        },
        {
            "type": "External",
            "external": {
                "metric": {
                    "name": "queue_messages_ready",
                    "selector": {"matchLabels": {"queue": "orders"}},
                },
                "target": {"type": "AverageValue", "averageValue": "30"},
            },
        },
        {
            "type": "Resource",
            "resource": {
                "name": "memory",
                "target": {"type": "AverageValue", "averageValue": "200Mi"},
            },
        },
    ]
    assert spec["behavior"] == {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        },
        "scaleDown": {
            "stabilizationWindowSeconds": 300,
            "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
        },
    }


def test_metrics_alone_mean_no_default_cpu_target_and_cpu_stays_first() -> None:
    only = _hpa("      metrics: [{pods: rps, average: 10}]\n")["spec"]["metrics"]
    assert [m["type"] for m in only] == ["Pods"]
    both = _hpa("      cpu: 70\n      metrics: [{pods: rps, average: 10}]\n")["spec"]["metrics"]
    assert [m["type"] for m in both] == ["Resource", "Pods"]
    assert _hpa("      max: 3\n")["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_config_keys_still_override_min_and_max_and_keep_the_metrics() -> None:
    spec = _hpa(FULL, {"api.autoscaling.max": 20, "api.autoscaling.min": 3})["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 20)
    assert spec == {**_hpa(FULL)["spec"], "minReplicas": 3, "maxReplicas": 20}


@pytest.mark.parametrize(
    ("autoscaling", "message"),
    [
        (
            "      metrics:\n        - pods: bytes_in\n          average: fast\n",
            r"kapstan.yaml:8:20: service 'api': autoscaling.metrics\[0\].average must be a "
            r"quantity such as 5Mi, 10k or 0.5, not 'fast'",
        ),
        (
            "      metrics:\n        - pods: bytes_in\n          value: 5Mi\n",
            r"kapstan.yaml:7:11: service 'api': autoscaling.metrics\[0\] a pods metric needs "
            r"exactly one target: average \(found value\)",
        ),
        (
            "      metrics:\n        - {pods: a, external: b, average: 1}\n",
            r"kapstan.yaml:7:11: .*autoscaling.metrics\[0\] must name exactly one source: "
            r"resource, pods, object or external \(found pods, external\)",
        ),
        (
            "      metrics:\n        - object: {kind: Gateway, name: gw}\n"
            "          metric: rps\n          value: 1\n",
            r"kapstan.yaml:7:19: .*autoscaling.metrics\[0\].object needs apiVersion for kind "
            r"'Gateway'",
        ),
        (
            "      metrics:\n        - object: {kind: Ingress, name: web}\n          value: 1\n",
            r"autoscaling.metrics\[0\] an object metric names its metric",
        ),
        (
            "      metrics:\n        - pods: rps\n          average: 1\n          selectr: {a: b}\n",
            r"kapstan.yaml:9:20: service 'api': unknown field 'selectr' in autoscaling.metrics\[0\]",
        ),
        (
            "      metrics:\n        - resource: gpu\n          utilization: 50\n",
            r"kapstan.yaml:7:21: .*autoscaling.metrics\[0\].resource must be cpu or memory",
        ),
        (
            "      metrics:\n        - pods: rps\n          average: 0\n",
            r"autoscaling.metrics\[0\].average must be above zero, not 0",
        ),
        (
            "      behavior:\n        scaleDown:\n          stabilizationWindowSeconds: 2h\n",
            r"kapstan.yaml:8:39: service 'api': autoscaling.behavior.scaleDown."
            r"stabilizationWindowSeconds must be a whole number, not '2h'",
        ),
        (
            "      behavior:\n        scaleUp:\n          policies:\n"
            "            - {type: Replicas, value: 2, periodSeconds: 15}\n",
            r"kapstan.yaml:9:22: .*autoscaling.behavior.scaleUp.policies\[0\].type must be "
            r"Pods or Percent, not 'Replicas'",
        ),
        (
            "      behavior:\n        scaleUp:\n          policies: [{type: Pods, value: 2}]\n",
            r"autoscaling.behavior.scaleUp.policies\[0\] needs periodSeconds",
        ),
        (
            "      behavior:\n        scaleUp: {selectPolicy: Biggest}\n",
            r"kapstan.yaml:7:33: .*autoscaling.behavior.scaleUp.selectPolicy must be one of "
            r"Max, Min, Disabled",
        ),
        (
            "      behavior:\n        scaleDown:\n"
            "          policies: [{type: Pods, value: 1, periodSeconds: 3600}]\n",
            r"periodSeconds must be between 1 and 1800, not 3600",
        ),
        ("      min: 5\n      max: 2\n", r"kapstan.yaml:7:12: .*autoscaling.max \(2\) is below"),
        (
            "      metrics: {pods: rps}\n",
            r"kapstan.yaml:6:16: .*autoscaling.metrics must be a list",
        ),
    ],
)
def test_bad_autoscaling_is_named_with_file_line_service_and_field(
    autoscaling: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        _hpa(autoscaling)
