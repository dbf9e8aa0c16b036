"""Deploy, rollback, plan and status through the API, on an environment with no cluster:
the operation is started in the background (202), then fails, and everything says why."""

from __future__ import annotations

import json
from typing import Any

from kapstan.model.operation import Step
from tests.api.conftest import Api


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of a text/event-stream body."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(
            line.split(": ", 1)
            for line in block.splitlines()
            if ": " in line and not line.startswith(":")
        )
        if "data" in fields:
            out.append((fields.get("event", "message"), json.loads(fields["data"])))
    return out


def test_deploy_answers_202_with_the_operation_and_the_stream_ends(api: Api) -> None:
    for wrong in (0, 257):  # the in-flight bound is the caller's, within limits
        refused = api.post("/api/v1/applications/shop/deploy", {"max_inflight": wrong})
        assert refused.status_code == 422 and "max_inflight" in refused.text
    started = api.post(
        "/api/v1/applications/shop/deploy", {"services": ["api"], "max_inflight": 4}, user="dana"
    )
    assert started.status_code == 202
    op = started.json()["operationId"]
    assert started.json()["status"] == "running"
    stream = api.get(f"/api/v1/applications/shop/operations/{op}/events", user="vic")
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = sse_events(stream.text)
    assert events[-1][0] == "end" and events[-1][1]["status"] == "failed"
    progress = [data for kind, data in events if kind == "progress"]
    assert any("kubeconfig" in e["message"] for e in progress)
    got = api.get(f"/api/v1/applications/shop/operations/{op}").json()
    assert got["status"] == "failed" and got["kind"] == "deploy" and got["author"] == "dana"
    assert [s["service"] for s in got["services"]] == ["api"]
    listed = api.get("/api/v1/applications/shop/operations").json()
    assert [o["id"] for o in listed["items"]] == [op] and listed["items"][0]["events"] == []


def test_stream_resumes_after_last_event_id(api: Api) -> None:
    op = api.post(
        "/api/v1/applications/shop/deploy", {}, params={"wait": "true"}, user="dana"
    ).json()["id"]
    whole = sse_events(api.get(f"/api/v1/applications/shop/operations/{op}/events").text)
    rest = api.client.get(
        f"/api/v1/applications/shop/operations/{op}/events",
        headers={**api.auth("root"), "Last-Event-ID": "0"},
    )
    assert len(sse_events(rest.text)) == len(whole) - 1


def test_deploy_with_wait_returns_the_finished_operation(api: Api) -> None:
    done = api.post(
        "/api/v1/applications/shop/deploy", {"message": "now"}, params={"wait": "true"}, user="dana"
    )
    assert done.status_code == 200
    assert done.json()["status"] == "failed" and done.json()["finishedAt"] is not None
    assert done.json()["events"]


def test_operation_of_another_app_is_not_found(api: Api) -> None:
    api.post("/api/v1/applications", {"name": "shop2", "template": "shop", "environment": "dev"})
    op = api.post("/api/v1/applications/shop/deploy", {}, params={"wait": "true"}).json()["id"]
    response = api.get(f"/api/v1/applications/shop2/operations/{op}")
    assert response.status_code == 404 and "belongs to another application" in response.text


def test_rollback_without_history_says_so(api: Api) -> None:
    response = api.post("/api/v1/applications/shop/rollback", {"service": "api"}, user="dana")
    assert response.status_code == 404
    assert "no earlier deployed revision" in response.json()["error"]["message"]
    bad = api.post("/api/v1/applications/shop/rollback", {"to": 2}, user="dana")
    assert bad.status_code == 422 and "--to needs --service" in bad.json()["error"]["message"]


def test_cluster_reads_fail_as_502_with_the_reason(api: Api) -> None:
    for path in ("/api/v1/applications/shop/plan", "/api/v1/applications/shop/status"):
        response = api.get(path)
        assert response.status_code == 502, response.text
        assert response.json()["error"]["type"] == "ClusterError"
        assert "kubeconfig" in response.json()["error"]["message"]


def test_metrics_count_operations(api: Api) -> None:
    api.post("/api/v1/applications/shop/deploy", {}, params={"wait": "true"}, user="dana")
    text = api.client.get("/metrics").text
    assert 'kapstan_operations_started_total{kind="deploy"} 1.0' in text
    assert 'kapstan_operations_finished_total{kind="deploy",status="failed"} 1.0' in text
    assert 'kapstan_operation_failures_total{kind="deploy",stage="run"} 1.0' in text
    assert 'kapstan_operation_duration_seconds_count{kind="deploy"} 1.0' in text


def test_deploy_is_audited(api: Api) -> None:
    op = api.post("/api/v1/applications/shop/deploy", {"services": ["db"]}, user="dana").json()[
        "operationId"
    ]
    (entry,) = api.audit("app.deploy")
    assert entry["actor"] == "dana" and entry["name"] == "shop" and entry["environment"] == "dev"
    assert entry["details"]["operation"] == op and entry["details"]["services"] == ["db"]
    assert entry["details"]["config"] == "dev@1"


def test_stream_with_states_sends_each_services_state_once(api: Api) -> None:
    store = api.store
    op = store.start_operation("shop", "deploy", author="dana", services=["db", "api"]).id
    store.set_service_state(op, "db", Step.READY, "revision 1 ready", 1)
    store.record_event(op, status="applied", message="created", service="db", resource="x")
    store.finish_operation(op, Step.FAILED, "1 ready")
    url = f"/api/v1/applications/shop/operations/{op}/events"
    plain = sse_events(api.get(url, user="vic").text)
    assert [kind for kind, _ in plain] == ["progress", "end"], "states only when asked"
    events = sse_events(api.get(url, params={"states": "true"}, user="vic").text)
    states = [data for kind, data in events if kind == "state"]
    assert states == [
        {"service": "db", "step": "ready", "message": "revision 1 ready", "revision": 1}
    ], "a service still pending has nothing to say"
    assert [kind for kind, _ in events] == ["progress", "state", "end"]
