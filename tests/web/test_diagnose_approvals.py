"""The application page's pods, events and logs per service; the approvals page.

In process on the API test world (``tests.api.conftest``); the live block on the sandbox.
"""

from __future__ import annotations

import re
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from kapstan import sandbox
from kapstan.actions import diagnose
from kapstan.actions.diagnose import EventRow, LogBlock, PodRow, ServiceDiagnosis
from kapstan.kube import connect
from kapstan.render.labels import APP_LABEL
from kapstan.store import ApprovalStatus
from kapstan.store.approvals import SELF_APPROVAL
from kapstan.web import apps
from tests.api import samples
from tests.api.conftest import open_api
from tests.web.conftest import Console


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _blocks(page: str) -> dict[str, str]:
    found = re.findall(
        r'<details class="diagnosis" id="diagnosis-([\w-]+)".*?</details>', page, re.S
    )
    starts = [m.start() for m in re.finditer(r'<details class="diagnosis"', page)]
    return {
        name: page[start : page.index("</details>", start)]
        for name, start in zip(found, starts, strict=True)
    }


def _prod_request(console: Console, user: str = "dana") -> int:
    console.api.store.create_application(
        "shop-prod",
        template="shop",
        template_version=1,
        environment="prod",
        config="prod",
        config_version=None,
    )
    asked = console.post("/ui/apps/shop-prod/deploy", user, {"service": "api"})
    assert asked.status_code == 202 and "Approval required" in asked.text
    (pending,) = console.api.store.list_approvals(status="pending")
    return pending.id


# -- pods, events, logs -------------------------------------------------------------------


def _closed_app(console: Console, tmp_path: Path) -> None:
    """App shop-closed in environment closed, whose cluster is a closed port; dana deploys."""
    kubeconfig = tmp_path / "closed-kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: closed\n"
        f"clusters: [{{name: closed, cluster: {{server: 'https://127.0.0.1:{_closed_port()}', "
        "insecure-skip-tls-verify: true}}]\n"
        "contexts: [{name: closed, context: {cluster: closed, user: u}}]\n"
        "users: [{name: u, user: {token: not-a-real-token-K4}}]\n"
    )
    store = console.api.store
    store.create_environment(
        "closed", kubeconfig=str(kubeconfig), context=None, namespace="ns-closed", config="dev"
    )
    store.grant_role("dana", "closed", "deployer")
    store.create_application(
        "shop-closed",
        template="shop",
        template_version=1,
        environment="closed",
        config="dev",
        config_version=None,
    )


def test_unreachable_cluster_is_a_message_in_each_block(console: Console, tmp_path: Path) -> None:
    _closed_app(console, tmp_path)
    answer = console.get("/ui/apps/shop-closed", "dana")
    assert answer.status_code == 200, answer.text
    blocks = _blocks(answer.text)
    assert set(blocks) == {"db", "api", "web"}
    for block in blocks.values():
        assert "cluster of environment closed cannot be read" in block and " open>" in block
    assert samples.SECRET not in answer.text and "not-a-real-token-K4" not in answer.text


def test_a_down_cluster_is_reported_at_every_view_with_kept_clients(
    console: Console, tmp_path: Path
) -> None:
    _closed_app(console, tmp_path)
    for _ in range(3):
        page = console.get("/ui/apps/shop-closed", "dana").text
        assert "Live status unavailable: cannot reach https://127.0.0.1:" in page
        assert page.count("connection refused") == 4  # the status, and each service's block
        blocks = _blocks(page)
        assert all("cluster of environment closed cannot be read" in b for b in blocks.values())
    # Built once, leased at every view: the status read's client and the diagnosis's.
    assert len(console.api.state.clusters) == 2


def test_no_cluster_config_is_a_message_too(console: Console) -> None:
    page = console.get("/ui/apps/shop", "vic").text
    assert set(_blocks(page)) == {"db", "api", "web"}
    assert page.count("cluster of environment dev cannot be read") == 3


def test_events_warning_first_newest_first_at_most_ten() -> None:
    def event(kind: str, second: int) -> Mapping[str, Any]:
        return {
            "type": kind,
            "reason": f"R{second}",
            "message": "m",
            "involvedObject": {"kind": "Pod", "name": "p"},
            "lastTimestamp": f"2026-01-01T00:00:{second:02d}Z",
        }

    events = [event("Normal", s) for s in range(8)] + [event("Warning", s) for s in (3, 9, 5)]
    rows = diagnose._recent(events)
    assert [r.reason for r in rows] == ["R9", "R5", "R3", "R7", "R6", "R5", "R4", "R3", "R2", "R1"]
    assert rows[0].type == "Warning" and rows[0].object == "Pod/p" and rows[0].count == 1


def test_pods_events_and_logs_render_in_the_block(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = ServiceDiagnosis(
        "api",
        pods=[PodRow("api-1", "Running", "0/1", 4, "kwok-node-0")],
        events=[
            EventRow(
                "Warning",
                "BackOff",
                "Pod/api-1",
                "back-off <restarting>",
                7,
                "2026-01-01T00:00:09Z",
            )
        ],
        logs=[
            LogBlock("api-1", "api", "CrashLoopBackOff", None),
            LogBlock("api-2", "api", "exited with code 1", "boom <b>\n"),
        ],
    )
    monkeypatch.setattr(apps, "diagnose", lambda store, app, **_options: {"api": found})
    page = console.get("/ui/apps/shop", "dana").text
    block = _blocks(page)["api"]
    assert " open>" in block and '<span class="pill failed">warnings</span>' in block
    assert "<td>api-1</td><td>Running</td><td>0/1</td><td>4</td><td>kwok-node-0</td>" in block
    assert "back-off &lt;restarting&gt;" in block and "BackOff" in block
    assert "logs not available from this node" in block
    assert '<pre class="logs">boom &lt;b&gt;' in block


def test_failing_container_is_recognised() -> None:
    crash = {"name": "api", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
    assert diagnose._failing(crash) == "CrashLoopBackOff"
    assert diagnose._failing({"name": "x", "state": {"terminated": {"exitCode": 2}}}) != ""
    assert diagnose._failing({"name": "ok", "ready": True, "state": {"running": {}}}) == ""


@pytest.fixture
def live(sandbox_cluster: sandbox.SandboxState, tmp_path: Path) -> Iterator[Console]:
    for api in open_api(str(tmp_path / "kapstan.db"), tmp_path):
        api.client.cookies.clear()
        api.store.create_environment(
            "live",
            kubeconfig=str(sandbox_cluster.kubeconfig),
            context=None,
            namespace=f"diag-{uuid.uuid4().hex[:8]}",
            config="dev",
        )
        api.store.grant_role("dana", "live", "deployer")
        created = api.post(
            "/api/v1/applications", {"name": "web", "template": "shop", "environment": "live"}
        )
        assert created.status_code == 201, created.text
        yield Console(api)


@pytest.mark.cluster
def test_live_app_shows_pods_events_and_logs_per_service(
    live: Console, sandbox_cluster: sandbox.SandboxState
) -> None:
    done = live.api.post(
        "/api/v1/applications/web/deploy", {"timeout": 120}, params={"wait": "true"}
    )
    assert done.json()["status"] == "succeeded", done.text
    deadline, blocks = time.monotonic() + 30, {}
    while time.monotonic() < deadline:  # events reach the apiserver a moment later
        answer = live.get("/ui/apps/web", "dana")
        assert answer.status_code == 200, answer.text
        blocks = _blocks(answer.text)
        if all("No recent event." not in b for b in blocks.values()):
            break
        time.sleep(0.5)
    assert set(blocks) == {"db", "api", "web"}
    for name, block in blocks.items():
        assert "cannot be read" not in block
        assert re.search(rf"<td>{name}-[\w-]+</td><td>Running</td><td>1/1</td><td>0</td>", block), (
            block
        )
        assert "(not scheduled)" not in block and "<th>Node</th>" in block
    assert any("Scheduled" in b or "SuccessfulCreate" in b for b in blocks.values())
    assert samples.SECRET not in answer.text
    env = live.api.store.get_environment("live")
    with connect(sandbox_cluster.kubeconfig) as kube:
        pods = kube.list("v1", "Pod", env.namespace, labels={APP_LABEL: "web"})
        pod = dict(pods[0])
        container = pod["spec"]["containers"][0]["name"]
        pod["status"] = {
            "containerStatuses": [
                {
                    "name": container,
                    "restartCount": 3,
                    "ready": False,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                }
            ]
        }
        name = str(pod["metadata"]["name"])
        sandbox.append_log(sandbox_cluster, env.namespace, name, container, ["panic: boom"])
        (log,) = diagnose._failing_logs(kube, env.namespace, [pod])
    # The sandbox's nodes serve logs (kwok's kubelet server): the failing container's last lines.
    assert log.error == "" and log.lines is not None and "panic: boom" in log.lines
    assert log.why == "CrashLoopBackOff" and log.pod == name


# -- approvals ----------------------------------------------------------------------------


def test_approvals_page_lists_what_the_user_may_view(console: Console) -> None:
    approval = _prod_request(console)
    assert 'href="/ui/approvals"' in console.get("/ui", "dana").text
    for user in ("paul", "dana", "root"):
        page = console.get("/ui/approvals", user)
        assert page.status_code == 200 and f'id="approval-{approval}"' in page.text
        assert samples.SECRET not in page.text
    paul = console.get("/ui/approvals", "paul").text
    assert f'action="/ui/approvals/{approval}/approve"' in paul and "Reject" in paul
    assert "your request" in console.get("/ui/approvals", "dana").text
    other = console.get("/ui/approvals", "olga").text
    assert f'id="approval-{approval}"' not in other and "Nothing waits for approval." in other


def test_approve_runs_the_deploy_once_as_the_requester(console: Console) -> None:
    approval = _prod_request(console)
    refused = console.post(f"/ui/approvals/{approval}/approve", "paul", {}, csrf=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    answer = console.post(f"/ui/approvals/{approval}/approve", "paul", {})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ui/apps/shop-prod/operations/")
    store = console.api.store
    assert store.get_approval(approval).status is ApprovalStatus.USED
    ops = store.list_operations("shop-prod", 20)
    assert len(ops) == 1 and ops[0].author == "dana"
    again = console.post(f"/ui/approvals/{approval}/approve", "paul", {})
    assert again.status_code == 409 and len(store.list_operations("shop-prod", 20)) == 1
    assert [
        e for e in console.api.audit("approval.approve") if e["details"]["approval"] == approval
    ]
    recent = console.get("/ui/approvals", "paul").text
    assert "used" in recent and "Nothing waits for approval." in recent


def test_reject_needs_a_reason_and_csrf(console: Console) -> None:
    approval = _prod_request(console)
    assert (
        console.post(
            f"/ui/approvals/{approval}/reject", "paul", {"reason": "freeze"}, csrf=False
        ).status_code
        == 403
    )
    empty = console.post(f"/ui/approvals/{approval}/reject", "paul", {"reason": "  "})
    assert empty.status_code == 422 and "say why" in empty.text
    answer = console.post(f"/ui/approvals/{approval}/reject", "paul", {"reason": "code freeze"})
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/approvals"
    found = console.api.store.get_approval(approval)
    assert found.status is ApprovalStatus.REJECTED and found.reason == "code freeze"
    assert console.api.store.list_operations("shop-prod", 20) == []
    assert "code freeze" in console.get("/ui/approvals", "dana").text
    assert console.post(f"/ui/approvals/{approval}/approve", "paul", {}).status_code == 409


def test_self_approval_is_refused_with_the_stores_message(console: Console) -> None:
    approval = _prod_request(console)
    answer = console.post(f"/ui/approvals/{approval}/approve", "dana", {})
    assert answer.status_code == 403 and SELF_APPROVAL in answer.text
    assert console.api.store.get_approval(approval).status is ApprovalStatus.PENDING


def test_another_teams_approval_is_forbidden(console: Console) -> None:
    approval = _prod_request(console)
    for path, form in (
        (f"/ui/approvals/{approval}/approve", {}),
        (f"/ui/approvals/{approval}/reject", {"reason": "mine now"}),
    ):
        answer = console.post(path, "olga", form)
        assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
    assert console.post(f"/ui/approvals/{approval}/approve", "vic", {}).status_code == 403
    assert console.api.store.get_approval(approval).status is ApprovalStatus.PENDING
