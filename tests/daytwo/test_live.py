"""``app events|logs|top`` on the sandbox: the CLI (local and through the server), the API
and the console, on one deployed application (``tests.daytwo.conftest.world``)."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from kapstan import sandbox
from kapstan.actions import podlogs, usage
from kapstan.cli.main import main
from kapstan.errors import ClusterError, ClusterUnknownKindError
from kapstan.kube import KubeClient, KubeObject, RetryPolicy, connect
from kapstan.kube import config as kubeconfig_files
from kapstan.render.labels import APP_LABEL, SERVICE_LABEL
from kapstan.web.sessions import COOKIE, Sessions
from tests.daytwo.conftest import APP, World
from tests.web.test_browser import ARGS, CHROMIUM, _shot, playwright_api


def _warning(world: World) -> str:
    """A Warning event about the first api pod, older than every other event (made once)."""
    pod = world.pods("api")[0]
    name = f"{pod['metadata']['name']}.daytwo-warning"
    with connect(world.sandbox.kubeconfig) as kube:
        if kube.get("v1", "Event", name, world.namespace) is None:
            long_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            kube.apply(
                {
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"name": name, "namespace": world.namespace},
                    "involvedObject": {
                        "kind": "Pod",
                        "name": pod["metadata"]["name"],
                        "namespace": world.namespace,
                        "uid": pod["metadata"]["uid"],
                    },
                    "type": "Warning",
                    "reason": "DaytwoProbe",
                    "message": "readiness probe failed (made by the test)",
                    "firstTimestamp": long_ago,
                    "lastTimestamp": long_ago,
                    "count": 3,
                    "source": {"component": "test"},
                }
            )
    return str(pod["metadata"]["name"])


def _events(world: World, *args: str) -> list[dict[str, Any]]:
    """``app events -o json`` once the controllers' events about both services are in."""
    deadline = time.monotonic() + 30  # events reach the apiserver a moment after the objects
    while True:
        ran = world.local("app", "events", APP, "-o", "json", *args)
        assert ran.code == 0, ran.err
        found: list[dict[str, Any]] = ran.json()
        services = {e["service"] for e in found if e["type"] == "Normal"}
        wanted = set(args[1::2]) if args else {"api", "worker"}
        if services >= wanted or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_events_warning_first_then_newest_naming_service_and_object(world: World) -> None:
    pod = _warning(world)
    found = _events(world)
    assert found[0]["type"] == "Warning" and found[0]["reason"] == "DaytwoProbe"
    assert found[0]["object"] == f"Pod/{pod}" and found[0]["service"] == "api"
    assert found[0]["count"] == 3
    normal = [e for e in found if e["type"] == "Normal"]
    assert normal and [e["lastSeen"] for e in normal] == sorted(
        (e["lastSeen"] for e in normal), reverse=True
    )
    kinds = {e["object"].split("/")[0] for e in found}
    assert {"Pod", "ReplicaSet", "Deployment"} <= kinds, kinds
    assert {e["service"] for e in found} == {"api", "worker"}


def test_events_of_one_service_and_the_table(world: World) -> None:
    found = _events(world, "-s", "worker")
    assert found and {e["service"] for e in found} == {"worker"}
    assert not any(e["object"].startswith("Deployment/api") for e in found)
    table = world.local("app", "events", APP, "-s", "worker")
    assert table.code == 0 and table.out.split()[:7] == [
        "TYPE",
        "REASON",
        "SERVICE",
        "OBJECT",
        "COUNT",
        "LAST",
        "SEEN",
    ]


def test_events_through_the_server_match_the_local_ones(world: World) -> None:
    _warning(world)
    local = _events(world)
    remote = world.remote("app", "events", APP, "-o", "json")
    assert remote.code == 0, remote.err
    key = ("type", "reason", "object", "service")
    assert remote.json()[0]["reason"] == "DaytwoProbe"
    assert {tuple(e[k] for k in key) for e in local} <= {
        tuple(e[k] for k in key) for e in remote.json()
    }
    answer = world.api(f"/api/v1/applications/{APP}/events", service="api")
    assert answer.status_code == 200 and {e["service"] for e in answer.json()} == {"api"}


def test_the_consoles_diagnosis_through_the_api(world: World) -> None:
    answer = world.api(f"/api/v1/applications/{APP}/diagnosis")
    assert answer.status_code == 200, answer.text
    by = {d["service"]: d for d in answer.json()}
    assert list(by) == ["api", "worker"] and all(d["error"] == "" for d in by.values())
    assert [p["ready"] for p in by["worker"]["pods"]] == ["2/2"]
    assert len(by["api"]["pods"]) == 2 and {p["phase"] for p in by["api"]["pods"]} == {"Running"}
    assert by["api"]["logs"] == []  # nothing fails: no container's log is shown


def test_an_unknown_service_is_named_with_the_known_ones(world: World) -> None:
    ran = world.local("app", "events", APP, "-s", "nope")
    assert ran.code != 0
    assert "application duo has no service nope; its services: api, worker" in ran.err
    answer = world.api(f"/api/v1/applications/{APP}/logs", service="nope")
    assert answer.status_code == 422 and "has no service nope" in answer.text


# -- logs -----------------------------------------------------------------------------------

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # the lines' own times: the merge follows them


def _name(pod: dict[str, Any]) -> str:
    return str(pod["metadata"]["name"])


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def pods(world: World) -> dict[str, str]:
    """Lines with known times written once in each container; the pods' names."""
    api0, api1 = (_name(p) for p in world.pods("api"))
    worker = _name(world.pods("worker")[0])
    state, ns = world.sandbox, world.namespace
    sandbox.append_log(state, ns, worker, "worker", ["w first"], at=_at(0))
    sandbox.append_log(state, ns, api0, "api", ["a0 second", "a0 third"], at=_at(1))
    sandbox.append_log(state, ns, api1, "api", ["a1 fourth"], at=_at(1.5))
    sandbox.append_log(state, ns, worker, "sidecar", ["s fifth <b>"], at=_at(3))
    sandbox.append_log(state, ns, api0, "api", ["a0 crashed"], previous=True, at=_at(0))
    return {"api0": api0, "api1": api1, "worker": worker}


def test_logs_of_every_pod_merged_by_time_with_service_and_pod(
    world: World, pods: dict[str, str]
) -> None:
    ran = world.local("app", "logs", APP)
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [
        f"[worker/{pods['worker']}/worker] w first",
        f"[api/{pods['api0']}] a0 second",
        f"[api/{pods['api0']}] a0 third",
        f"[api/{pods['api1']}] a1 fourth",
        f"[worker/{pods['worker']}/sidecar] s fifth <b>",
    ]


def test_logs_of_one_service_tail_since_timestamps(world: World, pods: dict[str, str]) -> None:
    ran = world.local("app", "logs", APP, "-s", "api", "--tail", "1", "--timestamps")
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [
        f"[api/{pods['api0']}] 2026-01-02T03:04:06.000000000Z a0 third",
        f"[api/{pods['api1']}] 2026-01-02T03:04:06.500000000Z a1 fourth",
    ]
    recent = world.local("app", "logs", APP, "--since", "10m")  # every line is from January
    assert recent.code == 0 and recent.out == ""


def test_previous_logs_and_containers_without_one(world: World, pods: dict[str, str]) -> None:
    ran = world.local("app", "logs", APP, "-s", "api", "--previous")
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [f"[api/{pods['api0']}] a0 crashed"]
    assert f"kapstan: api/{pods['api1']}/api: no logs" in ran.err  # never restarted


def test_logs_through_the_server_are_the_same(world: World, pods: dict[str, str]) -> None:
    local, remote = world.local("app", "logs", APP), world.remote("app", "logs", APP)
    assert remote.code == 0, remote.err
    assert remote.out == local.out and remote.out.count("\n") == 5


def _until(tail: podlogs.LogTail, found: Callable[[podlogs.LogItem], bool]) -> podlogs.LogItem:
    """Poll ``tail`` until an item satisfies ``found`` (bounded: a hang fails, it is no
    speed assertion)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for item in tail.poll(0.5) or []:
            if found(item):
                return item
    raise AssertionError("the followed logs never showed what was expected")


def _log_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("kapstan-logs-")]


def _threads_end() -> None:
    """Every stream's reader ends (bounded: one waiting for an answer gives up after
    ``logstreams.FOLLOW_IDLE``)."""
    deadline = time.monotonic() + 30
    while _log_threads() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _log_threads() == []


def _line(text: str, pod: str | None = None) -> Callable[[podlogs.LogItem], bool]:
    def match(item: podlogs.LogItem) -> bool:
        return (
            isinstance(item, podlogs.LogLine)
            and item.text == text
            and (pod is None or item.pod == pod)
        )

    return match


def test_follow_through_the_server_streams_new_lines_and_ends_with_the_client(
    world: World, pods: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {world.token}", "Accept": "text/event-stream"}
    url = f"{world.base}/api/v1/applications/{APP}/logs"
    params = {"service": "worker", "follow": "true"}
    seen: list[str] = []
    with httpx2.stream("GET", url, params=params, headers=headers, timeout=60) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        for line in lines:
            seen.append(line)
            if "s fifth" in line:  # the tail first: both containers, by time
                break
        assert any('"text":"w first"' in s for s in seen)
        sandbox.append_log(world.sandbox, world.namespace, pods["worker"], "worker", ["w live"])
        for line in lines:
            if '"text":"w live"' in line:
                assert f'"pod":"{pods["worker"]}"' in line and '"containers":2' in line
                break
    _threads_end()  # the server closes the tail once the client is gone


def test_follow_sees_new_lines_then_follows_a_new_pod(world: World, pods: dict[str, str]) -> None:
    query = podlogs.LogQuery(services=("api",), follow=True, follow_for=120)
    tail = podlogs.open_logs(world.store, APP, query)
    try:
        _until(tail, _line("a1 fourth"))
        sandbox.append_log(world.sandbox, world.namespace, pods["api1"], "api", ["a1 live"])
        _until(tail, _line("a1 live", pods["api1"]))
        with connect(world.sandbox.kubeconfig) as kube:
            kube.delete("v1", "Pod", pods["api0"], world.namespace)  # its ReplicaSet replaces it
        followed = _until(
            tail,
            lambda i: (
                isinstance(i, podlogs.LogNotice)
                and i.message == "following"
                and i.pod not in pods.values()
            ),
        )
        assert followed.service == "api" and followed.container == "api"
        sandbox.append_log(world.sandbox, world.namespace, followed.pod, "api", ["new pod"])
        _until(tail, _line("new pod", followed.pod))
    finally:
        tail.close()
    _threads_end()


def test_ctrl_c_stops_a_follow_cleanly(world: World, pods: dict[str, str]) -> None:
    """Ctrl-C (SIGINT to this process) once the follow printed its first line: exit 130,
    no traceback, and the readers end."""
    out, err = io.StringIO(), io.StringIO()

    def interrupt() -> None:
        deadline = time.monotonic() + 60  # no line at all: interrupted anyway, and it fails
        while "w first" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    argv = ["--db", world.db, "app", "logs", APP, "-f", "-s", "worker", "--follow-for", "300"]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 130, err.getvalue()
    assert out.getvalue().startswith(f"[worker/{pods['worker']}/worker] w first")
    assert "Traceback" not in err.getvalue()
    _threads_end()


# -- top --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def usage_set(world: World) -> None:
    """kwok's simulated use: 300m/64Mi per api container, 100m/16Mi per worker container."""
    for service, cpu, memory in (("api", "300m", "64Mi"), ("worker", "100m", "16Mi")):
        labels = {APP_LABEL: APP, SERVICE_LABEL: service}
        sandbox.set_usage(world.sandbox, world.namespace, labels, cpu=cpu, memory=memory)


def _close(value: float, wanted: float) -> bool:
    return abs(value - wanted) <= wanted * 0.1  # metrics-server's rate over its scrape window


def _top(world: World, *args: str) -> list[dict[str, Any]]:
    """``app top -o json`` once metrics-server has scraped the simulated use of every pod."""
    deadline = time.monotonic() + 90  # metrics-server scrapes every 10 s
    while True:
        ran = world.local("app", "top", APP, "-o", "json", *args)
        assert ran.code == 0, ran.err
        found: list[dict[str, Any]] = ran.json()
        by = {s["service"]: s for s in found}
        ready = all(p["cpuMillicores"] is not None for s in found for p in s["pods"])
        if (
            ready
            and _close(by.get("api", {}).get("cpuMillicores", 0), 600)
            and (args or _close(by["worker"]["cpuMillicores"], 200))
        ) or time.monotonic() > deadline:
            return found
        time.sleep(1)


def test_top_per_service_and_pod_from_the_metrics_api(world: World, usage_set: None) -> None:
    found = _top(world)
    by = {s["service"]: s for s in found}
    assert list(by) == ["api", "worker"] and len(by["api"]["pods"]) == 2
    assert by["api"]["memoryBytes"] == 2 * 64 * 1024**2
    assert by["worker"]["memoryBytes"] == 2 * 16 * 1024**2  # two containers
    for pod in by["api"]["pods"]:
        assert _close(pod["cpuMillicores"], 300) and pod["memoryBytes"] == 64 * 1024**2
    table = world.local("app", "top", APP, "-s", "worker")
    assert table.code == 0, table.err
    rows = [line.split() for line in table.out.splitlines()]
    assert rows[0] == ["SERVICE", "POD", "CPU", "MEMORY"] and rows[1][0] == "worker"
    assert rows[1][2] == "32Mi" and rows[2][-1] == "32Mi"


def test_top_through_the_server_and_the_api(world: World, usage_set: None) -> None:
    _top(world)
    remote = world.remote("app", "top", APP, "-o", "json", "-s", "api")
    assert remote.code == 0, remote.err
    (api,) = remote.json()
    assert api["service"] == "api" and _close(api["cpuMillicores"], 600)
    answer = world.api(f"/api/v1/applications/{APP}/top", service="worker")
    assert answer.status_code == 200 and answer.json()[0]["memoryBytes"] == 2 * 16 * 1024**2


class _NoMetricsApi(KubeClient):
    """A cluster that serves no metrics.k8s.io: the apiserver's answer for an unserved kind."""

    def pod_metrics(
        self, namespace: str, labels: Mapping[str, str] | None = None
    ) -> list[KubeObject]:
        raise ClusterUnknownKindError("the cluster serves no PodMetrics in metrics.k8s.io/v1beta1")


@contextmanager
def _no_metrics(
    kubeconfig: str,
    context: str | None = None,
    *,
    timeout: float = 30,
    retry: RetryPolicy | None = None,
    impersonate: str | None = None,
) -> Iterator[KubeClient]:
    client = _NoMetricsApi(
        kubeconfig_files.load(kubeconfig, context, impersonate), "t", timeout, retry
    )
    try:
        yield client
    finally:
        client.close()


def test_top_without_a_metrics_api_says_so_and_what_to_do(world: World) -> None:
    with pytest.raises(ClusterError) as caught:
        usage.app_usage(world.store, APP, clients=_no_metrics)
    assert caught.value.message == (
        "the cluster of environment live serves no metrics API (metrics.k8s.io): install "
        "metrics-server there (the sandbox runs one: `kapstan sandbox up --metrics`), then "
        "run this again"
    )


# -- console ----------------------------------------------------------------------------------


def test_console_chart_and_live_tail_in_chromium(
    world: World, pods: dict[str, str], usage_set: None
) -> None:
    _top(world)
    session = Sessions(world.store).create("root")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": COOKIE, "value": session.id, "url": world.base}])
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{world.base}/ui/apps/{APP}")
            page.wait_for_selector('svg.usage g.service[data-service="worker"]', timeout=30_000)
            assert page.locator("svg.usage rect.cpu").count() == 2
            assert "32Mi" in page.inner_text("#usage-pods")
            page.select_option("#log-tail select", "worker")
            page.click("#follow-logs")
            page.wait_for_selector("#log-lines .logline", timeout=30_000)
            assert f"[worker/{pods['worker']}/worker]" in page.inner_text("#log-lines")
            sandbox.append_log(
                world.sandbox, world.namespace, pods["worker"], "sidecar", ["console <i>"]
            )
            page.wait_for_function(
                "() => document.querySelector('#log-lines').innerText.includes('console <i>')",
                timeout=30_000,
            )
            assert page.locator("#log-lines i").count() == 0  # shown as text, not markup
            _shot(page, "09-day-two")
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()
