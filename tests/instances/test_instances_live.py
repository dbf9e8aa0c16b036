"""An application across clusters (issue 17), on the session sandbox.

One store for the module: cluster ``main`` is the sandbox; environments dev, staging and
prod are three namespaces on it. ``shop`` is deployed to dev, promoted (``shop-staging``,
``shop-prod``) and deployed there, once. Then:

    shop-staging's image is changed by hand (kubectl), and a drift check records it
    shop-copy, the same template in environment ``lost`` on cluster ``gone`` (a closed
    port), was never deployed and cannot be read

Each test reads the one view (CLI, API or console) and asserts one finding.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from kapstan import sandbox
from kapstan.actions.applications import create_app, update_app
from kapstan.actions.clusters import add_cluster
from kapstan.actions.deploying import deploy_app
from kapstan.actions.drift import check_drift
from kapstan.actions.environments import create_environment
from kapstan.actions.instances import app_instances
from kapstan.actions.promote import plan_promotion, promote
from kapstan.actions.refs import Ref
from kapstan.actions.templates import save_files
from kapstan.api.app import create_app as create_api
from kapstan.cli.exitcodes import ExitCode
from kapstan.engine.deploy import DeployOptions
from kapstan.kube import connect
from kapstan.store import Store
from kapstan.store.crypto import KEY_VARIABLE, generate_key
from kapstan.web.sessions import COOKIE, Sessions
from tests.clusters.conftest import closed_port
from tests.liveworld import kapstan

pytestmark = pytest.mark.cluster

ENVS = ("dev", "staging", "prod")
FAMILY = ["shop", "shop-staging", "shop-prod", "shop-copy"]
TEMPLATE = {
    "kapstan.yaml": "name: shop\nservices:\n  web:\n    manifests: [web.yaml]\n",
    "web.yaml": (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {name: web}\n"
        "spec:\n"
        "  replicas: 1\n"
        "  selector: {matchLabels: {app: web}}\n"
        "  template:\n"
        "    metadata: {labels: {app: web}}\n"
        "    spec:\n"
        '      containers: [{name: web, image: "shop/web:1.0"}]\n'
    ),
}


@dataclass
class World:
    url: str
    environ: dict[str, str]
    namespaces: dict[str, str]  # environment -> namespace
    dead_port: int
    tmp: Path

    def store(self) -> Store:
        return Store.open(self.url, environ=self.environ)

    def cli(self, *args: str) -> tuple[int, Any]:
        """``kapstan --db URL app instances ARGS -o json``: (exit code, the JSON)."""
        code, out, err = self.run("app", "instances", *args, "-o", "json")
        assert out, err
        return code, json.loads(out)

    def run(self, *args: str) -> tuple[int, str, str]:
        """``kapstan --db URL ARGS`` in process, with the store's key."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(KEY_VARIABLE, self.environ[KEY_VARIABLE])
            patch.delenv("KAPSTAN_SERVER", raising=False)
            return kapstan("--db", self.url, *args)


def dead_kubeconfig(live: Path, port: int, to: Path) -> Path:
    """The sandbox's kubeconfig with its server moved to ``port`` on 127.0.0.1."""
    data = yaml.safe_load(live.read_text())
    data["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    to.write_text(yaml.safe_dump(data))
    return to


@pytest.fixture(scope="module")
def world(
    sandbox_cluster: sandbox.SandboxState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("instances")
    environ = {KEY_VARIABLE: generate_key()}
    suffix = uuid.uuid4().hex[:6]
    namespaces = {env: f"inst-{env}-{suffix}" for env in ENVS}
    port = closed_port()
    world = World(f"sqlite:///{tmp / 'k.db'}", environ, namespaces, port, tmp)
    with world.store() as store:
        add_cluster(store, "main", kubeconfig=sandbox_cluster.kubeconfig, author="t", via="cli")
        dead = dead_kubeconfig(sandbox_cluster.kubeconfig, port, tmp / "dead.kubeconfig")
        add_cluster(store, "gone", kubeconfig=dead, author="t", via="cli")
        for env, namespace in namespaces.items():
            create_environment(store, env, namespace=namespace, cluster="main")
        create_environment(store, "lost", namespace="lost", cluster="gone")
        save_files(store, TEMPLATE, author="t")
        create_app(store, "shop", template=Ref("shop"), environment="dev", author="ana")
        options = DeployOptions(timeout=120)
        assert deploy_app(store, "shop", author="ana", options=options).outcome.ok
        for env in ("staging", "prod"):
            promoted = promote(store, plan_promotion(store, "shop", env, None), author="ana")
            name = promoted.application.name
            assert deploy_app(store, name, author="bob", options=options).outcome.ok
        create_app(store, "shop-copy", template=Ref("shop"), environment="lost", author="ana")
        kubectl(
            sandbox_cluster,
            "set",
            "image",
            "deployment/web",
            "web=shop/web:by-hand",
            "-n",
            namespaces["staging"],
        )
        assert check_drift(store, "shop-staging").drifted  # as `app drift` or the server
        # shop-prod is moved to template version 2 and not deployed: its release is behind.
        save_files(store, {**TEMPLATE, "web.yaml": TEMPLATE["web.yaml"] + "# v2\n"}, author="t")
        update_app(store, "shop-prod", template_version=2)
        store.create_user("root", password=None, admin=True)
        store.create_user("val", password=None)
        store.grant_role("val", "prod", "viewer")
    yield world
    with connect(sandbox_cluster.kubeconfig) as kube:
        for namespace in namespaces.values():
            kube.delete("v1", "Namespace", namespace)


def kubectl(state: sandbox.SandboxState, *args: str) -> None:
    done = subprocess.run(
        [str(sandbox.ensure_binaries().kubectl), *args],
        env={**os.environ, "KUBECONFIG": str(state.kubeconfig)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def by_app(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["application"]: i for i in data["instances"]}


def test_every_instance_with_its_versions_in_environment_order(world: World) -> None:
    code, data = world.cli("shop-prod")
    assert [i["application"] for i in data["instances"]] == FAMILY
    assert [i["environment"] for i in data["instances"]] == [*ENVS, "lost"]
    assert data["template"] == "shop" and data["app"] == "shop-prod"
    rows = by_app(data)
    for name in FAMILY[:3]:
        row = rows[name]
        assert row["cluster"] == "main" and row["deployed"]["templateVersion"] == 1, row
        assert row["deployed"]["configVersion"] == row["configVersion"], row
    assert [rows[n]["templateVersion"] for n in FAMILY] == [1, 1, 2, 1]
    assert [rows[n]["deployed"]["current"] for n in FAMILY[:3]] == [True, True, False]
    assert rows["shop-staging"]["namespace"] == world.namespaces["staging"]
    assert rows["shop-copy"]["deployed"] is None and rows["shop-copy"]["cluster"] == "gone"
    assert code == ExitCode.UNHEALTHY  # shop-copy's cluster cannot be read


def test_health_is_read_live_and_an_unreachable_cluster_is_named(world: World) -> None:
    _, data = world.cli("shop")
    rows = by_app(data)
    for name in FAMILY[:3]:
        health = rows[name]["health"]
        assert health["error"] == "", health["error"]
        assert (health["status"], health["ready"], health["desired"]) == ("healthy", 1, 1), name
    lost = rows["shop-copy"]["health"]
    assert lost["status"] == "unknown" and f"127.0.0.1:{world.dead_port}" in lost["error"]
    assert "cluster gone" in lost["error"] and lost["reachable"] is False
    assert data["unhealthy"] == ["shop-copy"]


def test_drift_after_a_change_by_hand_is_shown_on_that_instance_only(world: World) -> None:
    code, data = world.cli("shop", "--lineage")  # shop-copy: same template, not this line
    assert [i["application"] for i in data["instances"]] == FAMILY[:3]
    rows = by_app(data)
    assert rows["shop-staging"]["drift"]["state"] == "drifted"
    assert rows["shop-staging"]["drift"]["services"] == ["web"]
    assert rows["shop-staging"]["drift"]["checkedAt"]
    assert rows["shop"]["drift"]["state"] == rows["shop-prod"]["drift"]["state"] == "not checked"
    assert data["drifted"] == ["shop-staging"] and data["unhealthy"] == []
    assert code == ExitCode.CHANGES  # every instance healthy, one drifted
    table = world.run("app", "instances", "shop", "--lineage")[1]
    assert "drifted: web" in table and "1/1 healthy" in table


def test_the_last_operation_says_what_who_and_when(world: World) -> None:
    _, data = world.cli("shop")
    rows = by_app(data)
    for name, author in (("shop", "ana"), ("shop-prod", "bob")):
        op = rows[name]["lastOperation"]
        assert (op["kind"], op["status"], op["author"]) == ("deploy", "succeeded", author), op
        assert op["startedAt"] and op["finishedAt"]
        assert [(x["service"], x["step"]) for x in op["services"]] == [("web", "ready")], op
    assert rows["shop-copy"]["lastOperation"] is None


def test_a_cluster_that_does_not_answer_is_bounded_by_the_timeout(world: World) -> None:
    """A server that accepts connections and never answers: the view says so once the
    timeout has passed, and still shows the other instance (read live: never deployed)."""
    mail = {**TEMPLATE, "kapstan.yaml": TEMPLATE["kapstan.yaml"].replace("shop", "mail")}
    with socket.socket() as silent, world.store() as store:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections wait in the queue: never accepted nor answered
        port = silent.getsockname()[1]
        quiet = dead_kubeconfig(world.tmp / "dead.kubeconfig", port, world.tmp / "quiet.yaml")
        add_cluster(store, "quiet", kubeconfig=quiet, author="t", via="cli")
        create_environment(store, "quiet", namespace="quiet", cluster="quiet")
        save_files(store, mail, author="t")
        spare = world.namespaces["dev"].replace("dev", "spare")  # never made: nothing there
        create_environment(store, "spare", namespace=spare, cluster="main")
        create_app(store, "mail", template=Ref("mail"), environment="spare", author="t")
        create_app(store, "mail-quiet", template=Ref("mail"), environment="quiet", author="t")
        view = app_instances(store, "mail", timeout=1.0)
    rows = {i.application.name: i.health for i in view.instances}
    assert list(rows) == ["mail-quiet", "mail"]  # in the order the environments were made
    assert rows["mail-quiet"].status.value == "unknown" and not rows["mail-quiet"].reachable
    assert "within 1s" in rows["mail-quiet"].error or f":{port}" in rows["mail-quiet"].error
    assert rows["mail"].error == "" and rows["mail"].status.value == "missing", rows


def test_a_viewer_of_one_environment_sees_that_instance_only(world: World) -> None:
    with world.store() as store:
        root, val = store.create_token("root")[0], store.create_token("val")[0]
    with TestClient(create_api(world.url, environ=world.environ)) as client:
        url = "/api/v1/applications/{}/instances"

        def get(app: str, token: str) -> Any:
            return client.get(url.format(app), headers={"Authorization": f"Bearer {token}"})

        seen = get("shop-prod", val)
        assert seen.status_code == 200, seen.text
        assert [i["application"] for i in seen.json()["instances"]] == ["shop-prod"]
        assert seen.json()["instances"][0]["health"]["status"] == "healthy"
        assert get("shop", val).status_code in (403, 404)  # dev: not val's to view
        everything = get("shop", root).json()
        assert [i["application"] for i in everything["instances"]][:4] == FAMILY
        lined = client.get(
            url.format("shop"),
            params={"lineage": "true"},
            headers={"Authorization": f"Bearer {root}"},
        )
        assert [i["application"] for i in lined.json()["instances"]] == FAMILY[:3]


def test_the_console_page_linked_from_the_app_page_and_the_fleet_overview(world: World) -> None:
    with world.store() as store:
        cookies = {u: f"{COOKIE}={Sessions(store).create(u).id}" for u in ("root", "val")}
    with TestClient(create_api(world.url, environ=world.environ)) as client:

        def page(path: str, user: str) -> str:
            answer = client.get(path, headers={"Cookie": cookies[user]})
            assert answer.status_code == 200, answer.text
            return answer.text

        html = page("/ui/apps/shop/instances", "root")
        for name in FAMILY:
            assert f'id="instance-{name}"' in html
        assert "drifted: web" in html and "unreachable" in html and "127.0.0.1" in html
        assert "deploy #" in html and " by bob " in html
        assert 'href="/ui/apps/shop/instances"' in page("/ui/apps/shop", "root")
        overview = page("/ui/clusters", "root")
        assert 'id="families"' in overview and '/instances">shop</a>' in overview
        viewer = page("/ui/apps/shop-prod/instances", "val")
        assert 'id="instance-shop-prod"' in viewer and 'id="instance-shop"' not in viewer
        assert "shop-staging" not in viewer
        families = page("/ui/clusters", "val").split('id="families"')[1]
        assert "shop-prod" in families and "shop-staging" not in families
