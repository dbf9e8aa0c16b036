"""The adapter's pure parts, table-driven: status mapping, backoff, apply bodies, discovery."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from kapstan.errors import (
    ClusterConflictError,
    ClusterError,
    ClusterForbiddenError,
    ClusterInvalidError,
    ClusterNotFoundError,
    ClusterUnavailableError,
    ClusterUnknownKindError,
)
from kapstan.kube import Kind, RetryPolicy, describe, objects, resource_key, retries, watches
from kapstan.kube import errors as kube_errors
from kapstan.kube.discovery import Resolver, discovery_path, kinds_in

WHAT = "Deployment shop/web"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (401, ClusterForbiddenError),
        (403, ClusterForbiddenError),
        (404, ClusterNotFoundError),
        (409, ClusterConflictError),
        (400, ClusterInvalidError),
        (422, ClusterInvalidError),
        (429, ClusterUnavailableError),
        (500, ClusterUnavailableError),
        (503, ClusterUnavailableError),
        (410, ClusterError),
        (418, ClusterError),
    ],
)
def test_statuses_map_to_one_error_each(code: int, expected: type[ClusterError]) -> None:
    error = kube_errors.from_status({"code": code, "message": "m"}, WHAT)
    assert type(error) is expected
    assert str(error).startswith(WHAT)


def test_an_invalid_status_lists_its_field_causes() -> None:
    status = {
        "code": 422,
        "message": 'Deployment.apps "web" is invalid: ...',
        "details": {
            "causes": [
                {"field": "spec.replicas", "message": "Invalid value: -1: must be >= 0"},
                {"field": "spec.selector", "message": "Required value"},
            ]
        },
    }
    assert str(kube_errors.from_status(status, WHAT)) == (
        "Deployment shop/web is invalid: spec.replicas: Invalid value: -1: must be >= 0; "
        "spec.selector: Required value; fix the manifest and apply again"
    )


def test_retry_after_is_read_from_the_response() -> None:
    request = httpx2.Request("GET", "http://127.0.0.1/api")
    response = httpx2.Response(
        429,
        headers={"Retry-After": "3"},
        json={"kind": "Status", "message": "slow down"},
        request=request,
    )
    error = kube_errors.from_response(response, WHAT)
    assert isinstance(error, ClusterUnavailableError)
    assert error.retry_after == 3.0
    assert str(error) == "Deployment shop/web: the apiserver answered 429: slow down"


def test_a_non_json_error_body_is_quoted() -> None:
    request = httpx2.Request("GET", "http://127.0.0.1/api")
    response = httpx2.Response(502, text="Bad Gateway from the LB", request=request)
    error = kube_errors.from_response(response, WHAT)
    assert isinstance(error, ClusterUnavailableError) and error.retry_after is None
    assert "502: Bad Gateway from the LB" in str(error)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def policy(self, **kwargs: Any) -> RetryPolicy:
        return RetryPolicy(sleep=self.sleep, clock=lambda: self.now, **kwargs)


def _failing(errors: list[Exception]) -> Any:
    def call() -> str:
        if errors:
            raise errors.pop(0)
        return "ok"

    return call


def test_backoff_doubles_up_to_the_cap_and_honours_retry_after() -> None:
    clock = FakeTime()
    failures: list[Exception] = [ClusterUnavailableError("x")] * 4
    failures.append(ClusterUnavailableError("slow", retry_after=2.5))
    policy = clock.policy(max_attempts=6, base_delay=0.5, max_delay=3.0)
    assert retries.call(_failing(failures), policy) == "ok"
    assert clock.slept == [0.5, 1.0, 2.0, 3.0, 2.5]


def test_giving_up_names_the_attempts() -> None:
    clock = FakeTime()
    failures: list[Exception] = [ClusterUnavailableError("down")] * 9
    with pytest.raises(ClusterUnavailableError) as info:
        retries.call(_failing(failures), clock.policy(max_attempts=3, base_delay=1.0))
    assert str(info.value).startswith("down (gave up after 3 attempts in 3.0s;")


def test_the_total_time_bounds_retries_too() -> None:
    clock = FakeTime()
    failures: list[Exception] = [ClusterUnavailableError("down", retry_after=4)] * 9
    with pytest.raises(ClusterUnavailableError, match=r"after 3 attempts in 8\.0s"):
        retries.call(_failing(failures), clock.policy(max_attempts=10, max_total=10.0))


def test_a_retry_after_holds_back_the_other_requests_of_the_client_too() -> None:
    clock, throttle = FakeTime(), retries.Throttle()
    others: list[str] = []
    told = clock.policy()

    def sleep(seconds: float) -> None:
        # While the told request waits, another one of the same client starts: it must
        # wait out the same Retry-After before it is sent, not be sent at once.
        if not others:
            others.append(retries.call(lambda: f"sent at {clock.now}", told, throttle))
        clock.sleep(seconds)

    policy = RetryPolicy(sleep=sleep, clock=lambda: clock.now)
    failures: list[Exception] = [ClusterUnavailableError("busy", retry_after=2.0)]
    assert retries.call(_failing(failures), policy, throttle) == "ok"
    assert others == ["sent at 2.0"]
    assert clock.slept == [2.0, 2.0]  # the other request, then the told one


def test_permanent_errors_are_not_retried() -> None:
    clock = FakeTime()
    failures: list[Exception] = [ClusterConflictError("mine")]
    with pytest.raises(ClusterConflictError):
        retries.call(_failing(failures), clock.policy())
    assert clock.slept == []


DEPLOYMENTS = Kind("apps", "v1", "Deployment", "deployments", namespaced=True)
NAMESPACES = Kind("", "v1", "Namespace", "namespaces", namespaced=False)


def test_apply_bodies_drop_server_owned_metadata() -> None:
    live: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "labels": {"a": "b"},
            "resourceVersion": "41",
            "uid": "u",
            "managedFields": [{}],
            "generation": 3,
        },
        "spec": {"replicas": 2},
    }
    body = objects.for_apply(live, DEPLOYMENTS, "shop")
    assert body["metadata"] == {"name": "web", "labels": {"a": "b"}, "namespace": "shop"}
    assert body["spec"] == {"replicas": 2}
    assert live["metadata"]["resourceVersion"] == "41"  # the caller's dict is untouched


def test_cluster_scoped_bodies_carry_no_namespace() -> None:
    body = objects.for_apply({"metadata": {"name": "x", "namespace": "y"}}, NAMESPACES, None)
    assert body["metadata"] == {"name": "x"}


def test_an_object_without_a_name_or_kind_is_refused() -> None:
    with pytest.raises(ClusterInvalidError, match=r"Deployment shop/\? has no metadata\.name"):
        objects.for_apply({"metadata": {}}, DEPLOYMENTS, "shop")
    with pytest.raises(ClusterInvalidError, match="object web has no apiVersion or kind"):
        objects.type_of({"metadata": {"name": "web"}})


def test_keys_and_descriptions() -> None:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "w", "namespace": "s"},
    }
    assert resource_key(obj) == ("apps", "Deployment", "s", "w")
    assert describe("Deployment", "s", "w") == "Deployment s/w"
    assert describe("Namespace", None, "s") == "Namespace s"
    assert DEPLOYMENTS.path("shop") == "/apis/apps/v1/namespaces/shop/deployments"
    assert DEPLOYMENTS.path(None) == "/apis/apps/v1/deployments"
    assert NAMESPACES.path("ignored") == "/api/v1/namespaces"


def test_watch_parameters() -> None:
    assert watches.watch_params({"b": "2", "a": "1"}, "99", 0) == {
        "watch": "true",
        "timeoutSeconds": "1",
        "labelSelector": "a=1,b=2",
        "resourceVersion": "99",
    }


WIDGETS_DOC = {
    "kind": "APIResourceList",
    "groupVersion": "example.com/v1",
    "resources": [
        {"name": "widgets", "namespaced": True, "kind": "Widget"},
        {"name": "widgets/status", "namespaced": True, "kind": "Widget"},
        {"name": "gizmos", "namespaced": False, "kind": "Gizmo"},
    ],
}


def test_discovery_reads_kinds_and_skips_subresources() -> None:
    assert discovery_path("example.com/v1") == "/apis/example.com/v1"
    assert discovery_path("v1") == "/api/v1"
    assert kinds_in("example.com/v1", WIDGETS_DOC) == [
        Kind("example.com", "v1", "Widget", "widgets", True),
        Kind("example.com", "v1", "Gizmo", "gizmos", False),
    ]


def test_the_resolver_caches_hits_and_asks_again_on_a_miss() -> None:
    asked: list[str] = []
    documents: list[dict[str, Any] | None] = [None, WIDGETS_DOC]

    def fetch(path: str) -> dict[str, Any] | None:
        asked.append(path)
        return documents.pop(0)

    resolver = Resolver(fetch)
    assert resolver.resolve("apps/v1", "Deployment").plural == "deployments"  # no request
    with pytest.raises(ClusterUnknownKindError):
        resolver.resolve("example.com/v1", "Widget")  # CRD not there yet
    assert resolver.resolve("example.com/v1", "Widget").plural == "widgets"
    assert resolver.resolve("example.com/v1", "Gizmo").namespaced is False  # cached
    assert asked == ["/apis/example.com/v1", "/apis/example.com/v1"]
