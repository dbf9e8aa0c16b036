"""The rules behind ``sandbox.set_usage``: one ClusterResourceUsage, newest rule first. Pure."""

from __future__ import annotations

import json

import pytest

from kapstan.errors import SandboxError
from kapstan.sandbox import usage


def test_a_selector_string_is_label_equality() -> None:
    assert usage.parse_selector("app=web, tier=api") == {"app": "web", "tier": "api"}
    with pytest.raises(SandboxError, match=r"'app!=web' is not KEY=VALUE"):
        usage.parse_selector("app!=web")
    with pytest.raises(SandboxError, match="not a valid label"):
        usage.parse_selector({'a" || true || "': "x"})


def test_rules_match_by_namespace_and_labels_newest_first() -> None:
    rules = usage.merge_rule([], "shop", {"app": "web"}, "500m", None)
    rules = usage.merge_rule(rules, "shop", {"app": "web", "tier": "api"}, "2", "1Gi")
    obj = usage.usage_object(rules)
    cpu = obj["spec"]["usages"][0]["usage"]["cpu"]["expression"]
    # The newest rule is tested first; a pod no rule matches keeps upstream's annotation default.
    assert cpu.index('Quantity("2")') < cpu.index('Quantity("500m")') < cpu.index('Quantity("1m")')
    assert 'pod.metadata.namespace == "shop"' in cpu
    assert '("tier" in pod.metadata.labels && pod.metadata.labels["tier"] == "api")' in cpu
    memory = obj["spec"]["usages"][0]["usage"]["memory"]["expression"]
    assert "500m" not in memory and 'Quantity("1Gi")' in memory  # cpu-only rule: not here
    assert usage.read_rules(obj) == rules
    assert json.loads(obj["metadata"]["annotations"][usage.RULES_ANNOTATION]) == rules


def test_setting_the_same_selector_again_replaces_its_rule() -> None:
    rules = usage.merge_rule([], "shop", {"app": "web"}, "500m", None)
    rules = usage.merge_rule(rules, "shop", {"app": "web"}, "50m", "10Mi")
    assert rules == [
        {"namespace": "shop", "selector": {"app": "web"}, "cpu": "50m", "memory": "10Mi"}
    ]


def test_a_value_that_is_no_quantity_is_refused() -> None:
    with pytest.raises(SandboxError, match=r"simulated cpu usage '500 m' is not a quantity"):
        usage.merge_rule([], "shop", {"app": "web"}, "500 m", None)
    with pytest.raises(SandboxError, match="needs cpu=, memory= or both"):
        usage.merge_rule([], "shop", {"app": "web"}, None, None)
