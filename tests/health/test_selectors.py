"""Label selectors as the API server evaluates them, and ``pods_for``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapstan.errors import InputError
from kapstan.health import matches, pods_for

LABELS = {"app": "web", "tier": "front", "track": "stable"}


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {"key": key, "operator": operator, "values": list(values)}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({}, True),
        ({"matchLabels": {"app": "web"}}, True),
        ({"matchLabels": {"app": "web", "tier": "back"}}, False),
        ({"matchLabels": {"missing": "x"}}, False),
        ({"matchExpressions": [expr("tier", "In", "front", "edge")]}, True),
        ({"matchExpressions": [expr("tier", "In", "back")]}, False),
        ({"matchExpressions": [expr("missing", "In", "x")]}, False),
        ({"matchExpressions": [expr("tier", "NotIn", "back")]}, True),
        ({"matchExpressions": [expr("tier", "NotIn", "front")]}, False),
        ({"matchExpressions": [expr("missing", "NotIn", "x")]}, True),
        ({"matchExpressions": [expr("track", "Exists")]}, True),
        ({"matchExpressions": [expr("missing", "Exists")]}, False),
        ({"matchExpressions": [expr("missing", "DoesNotExist")]}, True),
        ({"matchExpressions": [expr("track", "DoesNotExist")]}, False),
        (
            {
                "matchLabels": {"app": "web"},
                "matchExpressions": [expr("track", "In", "stable"), expr("canary", "DoesNotExist")],
            },
            True,
        ),
        (
            {"matchLabels": {"app": "web"}, "matchExpressions": [expr("track", "In", "canary")]},
            False,
        ),
    ],
)
def test_matches(selector: dict[str, Any], expected: bool) -> None:
    assert matches(selector, LABELS) is expected


def test_no_selector_selects_nothing() -> None:
    assert matches(None, LABELS) is False


def test_unknown_operator_is_an_input_error_naming_key_and_operator() -> None:
    with pytest.raises(InputError, match=r"'tier'.*'Matches'"):
        matches({"matchExpressions": [expr("tier", "Matches", "f.*")]}, LABELS)


label_maps = st.dictionaries(
    st.sampled_from(["app", "tier", "track", "zone"]), st.sampled_from(["a", "b", "c"])
)


@given(
    labels=label_maps,
    key=st.sampled_from(["app", "tier", "zone"]),
    values=st.lists(st.sampled_from(["a", "b", "c"])),
)
def test_not_in_and_in_disagree_exactly_when_the_key_is_present(
    labels: dict[str, str], key: str, values: list[str]
) -> None:
    is_in = matches({"matchExpressions": [expr(key, "In", *values)]}, labels)
    not_in = matches({"matchExpressions": [expr(key, "NotIn", *values)]}, labels)
    assert is_in != not_in or key not in labels
    assert matches({"matchExpressions": [expr(key, "Exists")]}, labels) == (key in labels)


@given(labels=label_maps, data=st.data())
def test_a_selector_made_of_some_of_the_labels_selects_them(
    labels: dict[str, str], data: st.DataObject
) -> None:
    subset = data.draw(st.sets(st.sampled_from(sorted(labels)) if labels else st.nothing()))
    assert matches({"matchLabels": {k: labels[k] for k in subset}}, labels)


def pod(name: str, namespace: str = "shop", **labels: str) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels}}


def names(pods: Sequence[Mapping[str, Any]]) -> list[str]:
    return [p["metadata"]["name"] for p in pods]


PODS = [
    pod("web-1", app="web", track="stable"),
    pod("web-canary", app="web", track="canary"),
    pod("web-other-ns", "staging", app="web", track="stable"),
    pod("db-0", app="db"),
]


def test_pods_for_a_deployment_uses_its_label_selector_within_its_namespace() -> None:
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "selector": {
                "matchLabels": {"app": "web"},
                "matchExpressions": [expr("track", "NotIn", "canary")],
            }
        },
    }
    assert names(pods_for(deployment, PODS)) == ["web-1"]


def test_pods_for_a_service_reads_its_plain_selector_and_an_empty_one_selects_none() -> None:
    service = {
        "kind": "Service",
        "metadata": {"namespace": "shop"},
        "spec": {"selector": {"app": "web"}},
    }
    bare = {"kind": "Service", "metadata": {"namespace": "shop"}, "spec": {"selector": {}}}

    assert names(pods_for(service, PODS)) == ["web-1", "web-canary"]
    assert pods_for(bare, PODS) == []


def test_pods_for_a_cron_job_is_empty_since_it_selects_nothing_itself() -> None:
    cron_job = {"kind": "CronJob", "metadata": {"namespace": "shop"}, "spec": {}}
    assert pods_for(cron_job, PODS) == []
