"""The sandbox's custom metrics chain as configuration: kwok's per-pod bandwidth, Prometheus
scraping each node's path, the adapter's rule and its APIServices. Pure."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.errors import SandboxError
from kapstan.sandbox import custommetrics, usage


def test_a_network_rule_sets_the_bandwidth_kwok_serves_per_pod() -> None:
    rules = usage.merge_rule([], "shop", {"app": "web"}, None, None, network="20Mi")
    expression = usage.usage_object(rules)["spec"]["usages"][0]["usage"][usage.NETWORK]
    assert 'Quantity("20Mi")' in expression["expression"]
    assert 'Quantity("0")' in expression["expression"]  # pods no rule matches receive nothing
    [metric] = custommetrics.metric_object()["spec"]["metrics"]
    assert metric["value"] == f'pod.Usage("{usage.NETWORK}")'
    assert (metric["name"], metric["dimension"]) == ("network_receive_bytes_per_second", "pod")
    with pytest.raises(SandboxError, match=r"simulated network usage 'fast'"):
        usage.merge_rule([], "shop", {"app": "web"}, None, None, network="fast")


def test_prometheus_scrapes_every_nodes_custom_path_on_kwoks_port() -> None:
    config = custommetrics.prometheus_config(4242, ["n0", "n1"], Path("/pki/ca.crt"))
    [job] = config["scrape_configs"]
    assert job["honor_labels"] is True and job["tls_config"]["ca_file"] == "/pki/ca.crt"
    paths = [s["labels"]["__metrics_path__"] for s in job["static_configs"]]
    assert paths == ["/metrics/nodes/n0/metrics/custom", "/metrics/nodes/n1/metrics/custom"]
    assert {t for s in job["static_configs"] for t in s["targets"]} == {"127.0.0.1:4242"}


def test_the_adapter_serves_both_custom_metrics_versions_through_its_service() -> None:
    [rule] = custommetrics.adapter_config()["rules"]
    assert rule["resources"]["overrides"]["pod"] == {"resource": "pod"}
    services = custommetrics.api_services(7000, "Q0E=")
    assert [s["spec"]["version"] for s in services] == ["v1beta1", "v1beta2"]
    assert {s["spec"]["service"]["name"] for s in services} == {custommetrics.SERVICE}
