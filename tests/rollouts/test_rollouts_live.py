"""A rollout over three environments on the sandbox (three namespaces), stopped by a REAL
failure in the second: its config makes the service's pods never Ready (the sandbox's
``never-ready`` fault), so its deploy times out.

The module runs three rollouts of ``src`` (template tiered@2, image tag 2) over e1,e2,e3,
once each, and the tests read what they left:

- first with ``--soak 2s --rollback-on-failure``: e1 (which ran tiered@1, tag 1) is
  promoted, deployed and soaked (its pods watched), e2 fails, e3 is never started, and e1
  goes back to tiered@1;
- then without rollback: e1 done (it runs tag 2), e2 failed with its reason, e3 untouched;
- then over p1, p2, p3 (all healthy, on the sandbox registered again as cluster east),
  two at once after the canary: all done;
- last over p1 (unchanged: nothing new applied), q2 (whose quota allows no pod: refused
  before anything is applied there) and q3: stopped at q2, q3 untouched.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapstan import sandbox
from kapstan.actions import soaking
from kapstan.actions.clock import SYSTEM_CLOCK
from kapstan.kube import connect
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.liveworld import kapstan, ok

pytestmark = pytest.mark.cluster

KAPSTAN_YAML = "name: tiered\nservices:\n  web:\n    manifests: [web.yaml]\n"
WEB_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {release: "RELEASE"}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, kapstan.io/sandbox-fault: "${fault:-none}"}}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:${tag:-1}
"""


@dataclass(frozen=True)
class Rollouts:
    kubeconfig: str
    namespaces: dict[str, str]  # environment -> namespace
    with_rollback: dict[str, Any]  # the first rollout, as `-o json` printed it
    without: dict[str, Any]  # the second
    codes: tuple[int, int, int]
    e1_after_rollback: dict[str, Any] | None  # e1's Deployment between the two rollouts
    parallel: dict[str, Any]  # a third rollout, p1 then p2 and p3 at once, all healthy
    quota: dict[str, Any]  # a fourth, p1, q2 (no pod allowed), q3
    quota_code: int


def _template(folder: Path, release: str) -> Path:
    folder.mkdir()
    (folder / "kapstan.yaml").write_text(KAPSTAN_YAML)
    (folder / "web.yaml").write_text(WEB_YAML.replace("RELEASE", release))
    return folder


@pytest.fixture(scope="module")
def rollouts(
    sandbox_cluster: sandbox.SandboxState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Rollouts]:
    tmp = tmp_path_factory.mktemp("rollouts")
    suffix = uuid.uuid4().hex[:6]
    envs = ("dev", "e1", "e2", "e3", "p1", "p2", "p3", "q2", "q3")
    namespaces = {env: f"ro-{env}-{suffix}" for env in envs}
    kubeconfig = str(sandbox_cluster.kubeconfig)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAPSTAN_DB", f"sqlite:///{tmp / 'kapstan.db'}")
        patch.setenv("KAPSTAN_SECRET_KEY", generate_key())
        patch.setenv("KAPSTAN_USER", "ana")
        for name in ("KAPSTAN_SECRET_KEY_FILE", "KAPSTAN_SERVER", "KAPSTAN_TOKEN"):
            patch.delenv(name, raising=False)
        ok("template", "import", _template(tmp / "v1", "1"))
        ok("config", "set", "dev", "tag=2")
        ok("config", "set", "e1", "tag=1")
        ok("config", "set", "e2", "fault=never-ready")  # the injected failure: never Ready
        for env in ("e3", "p1", "p2", "p3", "q2", "q3"):
            ok("config", "set", env, "tag=1")
        # e*: the sandbox registered from the kubeconfig; p*: registered again as "east", so
        # the third rollout goes to environments on another registered cluster.
        for env, namespace in namespaces.items():
            if env == "p1":
                ok("cluster", "add", "east", "--kubeconfig", kubeconfig)
            where = ("--cluster", "east") if env.startswith("p") else ("--kubeconfig", kubeconfig)
            ok("env", "create", env, *where, "-n", namespace, "--config", env)
        ok("app", "create", "src-e1", "--template", "tiered", "--env", "e1")
        ok("app", "deploy", "src-e1", "--yes", "--timeout", "1m")  # what e1 ran before
        ok("template", "import", _template(tmp / "v2", "2"))
        ok("app", "create", "src", "--template", "tiered", "--env", "dev")
        first = kapstan(
            "app", "promote", "src", "--to", "e1,e2,e3", "--soak", "2s",
            "--rollback-on-failure", "--timeout", "6s", "-o", "json",
        )  # fmt: skip
        with connect(kubeconfig) as kube:
            between = kube.get("apps/v1", "Deployment", "web", namespaces["e1"])
        second = kapstan(
            "app", "promote", "src", "--to", "e1,e2,e3", "--timeout", "6s", "-o", "json"
        )
        third = kapstan(  # all healthy: the canary, then two deploys at once
            "app", "promote", "src", "--to", "p1,p2,p3", "--parallel", "2", "--soak", "1s",
            "--timeout", "1m", "-o", "json",
        )  # fmt: skip
        ok("env", "quota", "set", "q2", "--pods", "0")  # the web Deployment's pod: refused
        fourth = kapstan(
            "app", "promote", "src", "--to", "p1,q2,q3", "--timeout", "1m", "-o", "json"
        )
        try:
            yield Rollouts(
                kubeconfig,
                namespaces,
                json.loads(first[1]),
                json.loads(second[1]),
                (first[0], second[0], third[0]),
                between,
                json.loads(third[1]),
                json.loads(fourth[1]),
                fourth[0],
            )
        finally:
            with connect(kubeconfig) as kube:
                for namespace in namespaces.values():
                    kube.delete("v1", "Namespace", namespace)


def states(record: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["environment"], e["state"]) for e in record["environments"]]


def web(r: Rollouts, env: str) -> dict[str, Any] | None:
    with connect(r.kubeconfig) as kube:
        return kube.get("apps/v1", "Deployment", "web", r.namespaces[env])


def test_a_failed_rollout_exits_1(rollouts: Rollouts) -> None:
    assert rollouts.codes[:2] == (1, 1)
    assert rollouts.with_rollback["status"] == rollouts.without["status"] == "failed"


def test_the_second_environment_fails_with_its_reason(rollouts: Rollouts) -> None:
    for record in (rollouts.with_rollback, rollouts.without):
        e2 = record["environments"][1]
        assert e2["state"] == "failed"
        assert e2["note"].startswith("e2: operation ")
        assert "service web" in e2["note"] and "timed out after 6s" in e2["note"], e2["note"]
        assert record["error"].startswith("e2: operation ")
        assert record["error"].endswith("; not started: e3")


def test_the_third_environment_is_untouched(rollouts: Rollouts) -> None:
    for record in (rollouts.with_rollback, rollouts.without):
        e3 = record["environments"][2]
        assert (e3["state"], e3["operation"], e3["createdApp"]) == ("pending", None, False)
    assert web(rollouts, "e3") is None, "nothing was applied in e3"
    code, _, err = kapstan("app", "show", "src-e3")
    assert code != 0 and "src-e3" in err, "no application was created in e3"


def test_without_rollback_the_first_environment_is_done_at_the_new_version(
    rollouts: Rollouts,
) -> None:
    assert states(rollouts.without) == [("e1", "done"), ("e2", "failed"), ("e3", "pending")]
    live = web(rollouts, "e1")
    assert live is not None
    assert live["metadata"]["labels"]["release"] == "2"
    image = live["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example.com/web:2", "the tested tag travelled"


def test_with_rollback_the_canary_soaked_then_went_back_to_what_it_ran(
    rollouts: Rollouts,
) -> None:
    record = rollouts.with_rollback
    assert states(record) == [("e1", "rolled-back"), ("e2", "failed"), ("e3", "pending")]
    e1 = record["environments"][0]
    assert e1["previousTemplateVersion"] == 1 and not e1["createdApp"]
    assert e1["rollbackOperation"] is not None
    assert e1["note"].startswith("back to tiered@1 (operation ")
    live = rollouts.e1_after_rollback
    assert live is not None
    assert live["metadata"]["labels"]["release"] == "1", "tiered@1 again"
    assert live["spec"]["template"]["spec"]["containers"][0]["image"].endswith("web:1")
    # e2's application was made by this rollout: nothing to go back to, so it is said so.
    assert record["environments"][1]["createdApp"] is True


def test_the_rollouts_are_listed_and_shown(rollouts: Rollouts) -> None:
    listed = json.loads(ok("rollout", "list", "-o", "json"))
    assert [r["id"] for r in listed] == [
        rollouts.quota["id"],
        rollouts.parallel["id"],
        rollouts.without["id"],
        rollouts.with_rollback["id"],
    ]
    shown = ok("rollout", "show", str(rollouts.with_rollback["id"]))
    assert "e1" in shown and "rolled-back" in shown and "canary" in shown


def test_a_healthy_rollout_runs_the_rest_two_at_once_and_ends_done(rollouts: Rollouts) -> None:
    record = rollouts.parallel
    assert rollouts.codes[2] == 0, record
    assert (record["status"], record["parallel"]) == ("done", 2)
    assert states(record) == [("p1", "done"), ("p2", "done"), ("p3", "done")]
    assert all(e["operation"] is not None and e["createdApp"] for e in record["environments"])
    clusters = {e["name"]: e["cluster"] for e in json.loads(ok("env", "list", "-o", "json"))}
    assert clusters["p1"] == "east" and clusters["e1"] not in (None, "east"), clusters
    for env in ("p1", "p2", "p3"):
        live = web(rollouts, env)
        assert live is not None and live["metadata"]["labels"]["release"] == "2", env


def test_a_soak_fails_on_the_first_pod_that_is_not_ready(rollouts: Rollouts) -> None:
    """Soaking e2's application (its pod is never Ready) fails at once, naming it; soaking
    e1's passes."""
    with Store.open() as store:  # the module's store ($KAPSTAN_DB)
        failed = soaking.soak(store, "e2", "src-e2", 30, SYSTEM_CLOCK)
        passed = soaking.soak(store, "e1", "src-e1", 1, SYSTEM_CLOCK)
    assert not failed.ok
    assert failed.message.startswith("service web: pod web-"), failed.message
    assert "is not Ready" in failed.message
    assert passed.ok, passed.message


def test_a_quota_refusal_in_the_second_environment_names_service_and_resource(
    rollouts: Rollouts,
) -> None:
    record = rollouts.quota
    assert rollouts.quota_code == 1, record
    assert states(record) == [("p1", "done"), ("q2", "failed"), ("q3", "pending")]
    note = " ".join(record["environments"][1]["note"].split())
    assert note.startswith("q2: environment q2's quota refuses this deploy of application src-q2")
    assert "nothing was applied" in note and "service 'web' asks pods 1" in note, note
    assert record["environments"][1]["operation"] is None, "refused before any operation"
    assert record["error"].endswith("; not started: q3")
    assert web(rollouts, "q2") is None and web(rollouts, "q3") is None
