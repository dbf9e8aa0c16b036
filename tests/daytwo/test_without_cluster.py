"""The day-two reads when the environment's cluster cannot be read (the API test world's
kubeconfig names no cluster): each says so, naming the environment; none is a 500. One
world per test function: its set-up costs more than these reads."""

from __future__ import annotations

from tests.web.conftest import Console
from tests.web.conftest import console as console  # the fixture (API world + console)


def test_api_reads_say_the_cluster_cannot_be_read(console: Console) -> None:
    api = console.api
    for path in ("events", "top"):
        answer = api.get(f"/api/v1/applications/shop/{path}", user="vic")
        assert answer.status_code == 502, answer.text
        assert answer.json()["error"]["type"] == "ClusterError"
        assert "cluster of environment dev cannot be read" in answer.json()["error"]["message"]
    diagnosis = api.get("/api/v1/applications/shop/diagnosis", user="vic")
    assert diagnosis.status_code == 200, diagnosis.text
    assert [d["service"] for d in diagnosis.json()] == ["db", "api", "web"]
    assert all("environment dev cannot be read" in d["error"] for d in diagnosis.json())
    logs = api.get("/api/v1/applications/shop/logs", params={"follow": "true"})
    assert logs.status_code == 200
    assert logs.headers["content-type"].startswith("text/event-stream")
    events = [line for line in logs.text.splitlines() if line.startswith("event:")]
    assert events == ["event: error", "event: end"]
    assert "cluster of environment dev cannot be read" in logs.text
    bad = api.get("/api/v1/applications/shop/logs", params={"since": "soon"})
    assert bad.status_code == 422 and "'soon' is not a duration" in bad.text
    for path in ("events", "top", "diagnosis", "logs"):  # another team's user
        answer = api.get(f"/api/v1/applications/shop/{path}", user="olga")
        assert answer.status_code in (403, 404), (path, answer.status_code)


def test_console_usage_fragment_says_why_there_is_no_chart(console: Console) -> None:
    page = console.get("/ui/apps/shop/usage", "vic")
    assert page.status_code == 200 and 'id="usage-error"' in page.text
    assert "No resource figures: cluster of environment dev cannot be read" in page.text
    tail = console.get("/ui/apps/shop/logs/tail?service=api", "vic")
    assert tail.status_code == 200 and "logs/stream?follow=true&amp;service=api" in tail.text
    app_page = console.get("/ui/apps/shop", "vic").text
    assert 'hx-get="/ui/apps/shop/usage"' in app_page and 'id="follow-logs"' in app_page
