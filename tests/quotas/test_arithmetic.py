"""The quota arithmetic, pure: quantities, LimitRange defaults, replicas, per-class storage,
and the refusal lines (service, resource, amount asked, what is left)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st

from kapstan.errors import InputError
from kapstan.plan import quantities
from kapstan.plan.quota import Quota, changed, check_key, objects, owned, quota_of
from kapstan.plan.quotausage import Ask, Facts, outside, refusals, service_ask


def deployment(name: str, replicas: int = 1, **resources: Any) -> dict[str, Any]:
    container = {"name": "app", "image": "x", "resources": resources}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [container]}}},
    }


def claim(name: str, size: str, storage_class: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": spec,
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("1.5Gi", Decimal(1536 * 1024**2)),
        ("1e3", Decimal(1000)),
        ("128Mi", Decimal(128 * 1024**2)),
        ("1k", Decimal(1000)),
        (".5", Decimal("0.5")),
    ],
)
def test_quantities_parse_exactly(text: str, value: Decimal) -> None:
    assert quantities.parse(text, "--cpu") == value


@pytest.mark.parametrize("text", ["abc", "1.5Gb", "", "5 m", "-1"])
def test_a_bad_quantity_names_the_flag(text: str) -> None:
    with pytest.raises(InputError, match="--memory") as found:
        quantities.parse(text, "--memory")
    assert repr(text) in str(found.value)


def test_three_hundred_millicores_hold_three_pods_of_a_hundred() -> None:
    # Exact arithmetic: 3 x 100m is exactly 300m (a float would make it 0.30000000000000004).
    quota = quota_of({"hard": {"requests.cpu": "300m"}})
    ask = service_ask("web", [deployment("web", 3, requests={"cpu": "100m"})], quota)
    assert refusals(quota, [ask], others={}, current={}) == []


@pytest.mark.parametrize(
    ("resources", "container", "requests", "limits"),
    [
        # nothing set: the LimitRange's default request and default limit
        ({}, {"default": {"cpu": "1"}, "defaultRequest": {"cpu": "200m"}}, "0.2", "1"),
        # no default request: it is the default limit (the apiserver's defaulting)
        ({}, {"default": {"cpu": "1"}}, "1", "1"),
        # no default at all: the max is the default limit, and so the request
        ({}, {"max": {"cpu": "2"}}, "2", "2"),
        # only a min: the request is the min, no limit
        ({}, {"min": {"cpu": "50m"}}, "0.05", None),
        # a limit set but no request: the request is that limit (not the default request)
        ({"limits": {"cpu": "700m"}}, {"defaultRequest": {"cpu": "100m"}}, "0.7", "0.7"),
        # a request set: kept; the limit from the default
        ({"requests": {"cpu": "300m"}}, {"default": {"cpu": "1"}}, "0.3", "1"),
    ],
)
def test_limit_range_defaults_fill_what_a_container_leaves_out(
    resources: dict[str, Any], container: dict[str, Any], requests: str, limits: str | None
) -> None:
    quota = quota_of({"container": container})
    ask = service_ask("web", [deployment("web", 2, **resources)], quota)
    assert ask.usage["requests.cpu"] == 2 * Decimal(requests)
    assert ask.usage.get("limits.cpu") == (None if limits is None else 2 * Decimal(limits))


def test_pods_per_workload_kind() -> None:
    quota = Quota()
    pod_spec = {"containers": [{"name": "c", "resources": {"requests": {"memory": "1Gi"}}}]}
    daemon = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {"template": {"spec": pod_spec}},
    }
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "once"},
        "spec": {"parallelism": 4, "completions": 2, "template": {"spec": pod_spec}},
    }
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "tick"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec}}}},
    }
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"}, "spec": pod_spec}
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "minReplicas": 5,
            "maxReplicas": 9,
        },
    }
    facts = Facts(nodes=3)
    assert service_ask("a", [daemon], quota, facts).usage["pods"] == 3
    assert service_ask("j", [job], quota, facts).usage["pods"] == 2  # min(parallelism, completions)
    assert service_ask("c", [cron], quota, facts).usage["pods"] == 1  # one run of its Job
    assert service_ask("p", [pod], quota, facts).usage["pods"] == 1
    scaled = service_ask("w", [deployment("web", 2), hpa], quota, facts)
    assert scaled.usage["pods"] == 5  # the autoscaler's minimum, above the manifest's 2
    assert service_ask("a", [daemon], quota, facts).usage["requests.memory"] == 3 * 1024**3


def test_init_containers_count_when_they_ask_more_than_the_containers_together() -> None:
    pod_spec = {
        "initContainers": [{"name": "migrate", "resources": {"requests": {"cpu": "2"}}}],
        "containers": [
            {"name": "a", "resources": {"requests": {"cpu": "500m"}}},
            {"name": "b", "resources": {"requests": {"cpu": "500m"}}},
        ],
    }
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "w"},
        "spec": {"replicas": 3, "template": {"spec": pod_spec}},
    }
    assert service_ask("w", [obj], Quota()).usage["requests.cpu"] == 6


def test_storage_is_counted_per_class_with_claim_templates_per_replica() -> None:
    quota = quota_of(
        {
            "hard": {
                "fast.storageclass.storage.k8s.io/requests.storage": "10Gi",
                "standard.storageclass.storage.k8s.io/persistentvolumeclaims": "2",
            }
        }
    )
    stateful = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "replicas": 3,
            "template": {"spec": {"containers": [{"name": "db"}]}},
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "storageClassName": "fast",
                        "resources": {"requests": {"storage": "4Gi"}},
                    },
                }
            ],
        },
    }
    ask = service_ask(
        "db", [stateful, claim("logs", "1Gi")], quota, Facts(default_class="standard")
    )
    assert ask.usage["fast.storageclass.storage.k8s.io/requests.storage"] == 12 * 1024**3
    assert ask.usage["standard.storageclass.storage.k8s.io/persistentvolumeclaims"] == 1
    assert ask.usage["requests.storage"] == 13 * 1024**3
    assert ask.usage["persistentvolumeclaims"] == 4
    [line] = refusals(quota, [ask], others={}, current={})
    assert line == (
        "service 'db' asks fast.storageclass.storage.k8s.io/requests.storage 12Gi "
        "(3 x StatefulSet db claim data) but only 10Gi of the quota's 10Gi is left"
    )


def test_the_refusal_names_service_resource_amount_and_what_is_left() -> None:
    quota = quota_of({"hard": {"cpu": "2", "pods": "10", "services": "1"}})
    api = service_ask("api", [deployment("api", 2, requests={"cpu": "500m"})], quota)
    web = service_ask(
        "web",
        [
            deployment("web", 3, requests={"cpu": "250m"}),
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {}},
        ],
        quota,
    )
    others = {"requests.cpu": Decimal("0.5"), "services": Decimal(1)}
    lines = refusals(quota, [api, web], others=others, current={})
    assert lines == [
        "service 'web' asks requests.cpu 750m (3 x 250m Deployment web) but only 500m of the "
        "quota's 2 is left",
        "service 'web' asks services 1 (Service web) but only 0 of the quota's 1 is left",
    ]


def test_a_service_that_does_not_grow_is_not_refused_by_a_lowered_quota() -> None:
    quota = quota_of({"hard": {"pods": "2"}})
    web = service_ask("web", [deployment("web", 3)], quota)
    assert refusals(quota, [web], others={}, current={"web": {"pods": Decimal(3)}}) == []
    bigger = service_ask("web", [deployment("web", 4)], quota)
    [line] = refusals(quota, [bigger], others={}, current={"web": {"pods": Decimal(3)}})
    assert "asks pods 4" in line


def test_a_container_without_the_request_a_quota_needs_is_named() -> None:
    quota = quota_of({"hard": {"limits.memory": "4Gi"}, "container": {"max": {"cpu": "1"}}})
    ask = service_ask("web", [deployment("web", 1, limits={"cpu": "2"})], quota)
    lines = refusals(quota, [ask], others={}, current={})
    assert any(
        "container 'app' has no limits.memory" in line and "--default memory=" in line
        for line in lines
    )
    assert any("limits.cpu 2, above the environment's container max 1" in line for line in lines)


def test_usage_outside_kapstan_is_the_live_usage_less_kapstans() -> None:
    ours = [Ask("web", {"configmaps": Decimal(2), "pods": Decimal(3)})]
    found = outside({"configmaps": "3", "pods": "2", "requests.cpu": "bogus"}, ours)
    assert found == {"configmaps": Decimal(1)}  # the namespace's own kube-root-ca.crt


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hard": {"cpus": "2"}}, "quota.hard['cpus']: 'cpus' is not a quota resource"),
        ({"hard": {"pods": "2.5"}}, "quota.hard['pods']: '2.5' is not a whole number"),
        ({"hard": {"memory": "8GB"}}, "quota.hard['memory']: '8GB' is not a Kubernetes quantity"),
        (
            {"hard": {"Fast.storageclass.storage.k8s.io/requests.storage": "1Gi"}},
            "not a quota resource",
        ),
        ({"container": {"defaults": {"cpu": "1"}}}, "'defaults' is not a container limit"),
        ({"container": {"default": {"gpu": "1"}}}, "'gpu' is not a container resource"),
        (
            {"container": {"default": {"cpu": "2"}, "max": {"cpu": "1"}}},
            "default cpu 2 is above its max 1",
        ),
        ({"hard": {}, "limits": {}}, "unknown field"),
    ],
)
def test_a_bad_quota_names_the_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as found:
        quota_of(data)
    assert message in str(found.value)


def test_aliases_and_changes() -> None:
    assert check_key("cpu", "--cpu") == "requests.cpu"
    assert check_key("count/deployments.apps", "--count") == "count/deployments.apps"
    quota = quota_of({"hard": {"cpu": "1", "pods": "3"}, "container": {"default": {"cpu": "1"}}})
    assert quota.hard == {"requests.cpu": "1", "pods": "3"}
    after = changed(quota, {"pods": "5"}, {("max", "memory"): "1Gi"}, ("cpu", "default.cpu"))
    assert after.to_json() == {"hard": {"pods": "5"}, "container": {"max": {"memory": "1Gi"}}}
    with pytest.raises(
        InputError,
        match=r"unset 'limits\.cpu': the quota has no such key \(its keys: pods, max\.memory\)",
    ):
        changed(after, {}, {}, ("limits.cpu",))


def test_the_objects_a_quota_becomes() -> None:
    quota = quota_of({"hard": {"pods": "3"}, "container": {"defaultRequest": {"cpu": "100m"}}})
    made = objects(quota, environment="dev", namespace="shop")
    labels = {"app.kubernetes.io/managed-by": "kapstan", "kapstan.io/environment": "dev"}
    assert made == [
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "kapstan-quota", "namespace": "shop", "labels": labels},
            "spec": {"hard": {"pods": "3"}},
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "kapstan-limits", "namespace": "shop", "labels": labels},
            "spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "100m"}}]},
        },
    ]
    assert objects(Quota(), environment="dev", namespace="shop") == []
    live = {**made[0], "metadata": {**made[0]["metadata"], "uid": "u1"}}
    assert owned(live, {"uid": "u1"}, "dev") == (True, "")
    assert owned(live, {"uid": "u2"}, "dev")[0] is False
    assert owned(live, {"uid": "u1"}, "prod")[0] is False


def test_an_unchanged_service_later_in_the_deploy_still_holds_its_share() -> None:
    quota = quota_of({"hard": {"requests.cpu": "1"}})
    api = service_ask("api", [deployment("api", 5, requests={"cpu": "200m"})], quota)
    worker = service_ask("worker", [deployment("worker", 1, requests={"cpu": "150m"})], quota)
    current = {"api": {"requests.cpu": Decimal("0.2")}, "worker": {"requests.cpu": Decimal("0.15")}}
    [line] = refusals(quota, [api, worker], others={}, current=current)
    # Without the worker's 150m counted before its turn, 1 (all of it) would seem left.
    assert line == (
        "service 'api' asks requests.cpu 1 (5 x 200m Deployment api) but only 850m of the "
        "quota's 1 is left"
    )


@hypothesis.settings(max_examples=50, deadline=None)
@hypothesis.given(
    replicas=st.integers(0, 30), millis=st.integers(1, 4000), hard=st.integers(0, 50_000)
)
def test_refused_exactly_when_the_pods_ask_more_than_the_quota(
    replicas: int, millis: int, hard: int
) -> None:
    quota = quota_of({"hard": {"requests.cpu": f"{hard}m"}})
    ask = service_ask("web", [deployment("web", replicas, requests={"cpu": f"{millis}m"})], quota)
    refused = refusals(quota, [ask], others={}, current={})
    assert bool(refused) == (replicas * millis > hard)
    assert quantities.parse(quantities.show(Decimal(millis) / 1000, "cpu"), "x") * 1000 == millis
