"""Clusters registry on the sandbox (issue 17): register, show live, an unreachable cluster
named, removal refused while in use, and the kubeconfig never shown nor stored in clear.

One store per module (``fleet``): cluster ``main`` is the session sandbox, environment
``prod`` runs on it, application ``shop`` has one Ready pod there.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from kapstan.actions.clusters import environment_client
from kapstan.actions.environments import reach
from kapstan.api.app import create_app
from kapstan.api.clusters import Clusters, build_client
from kapstan.kube import KubeClient
from kapstan.web.sessions import COOKIE, Sessions
from tests.clusters.conftest import APP, ENV, NAMESPACE, Fleet, closed_port, open_store, store_text


def test_show_reads_the_cluster_live(fleet: Fleet) -> None:
    shown = fleet.json("cluster", "show", "main")
    assert shown["reachable"] and shown["version"].startswith("v1.")
    assert shown["latencyMs"] is not None and shown["live"] is True
    nodes = {n["name"]: n for n in shown["nodes"]}
    assert len(nodes) == fleet.sandbox.nodes and all(n["ready"] for n in nodes.values())
    node = next(iter(nodes.values()))
    assert node["capacity"]["pods"] and node["allocatable"]["cpu"] and node["pressures"] == []
    assert shown["pods"].get("Running", 0) >= 1
    components = {c["name"]: c["ok"] for c in shown["components"]}
    assert components.get("etcd") is True and components.get("ping") is True
    services = {a["name"]: a["available"] for a in shown["apiServices"]}
    assert services["v1."] is True and services["v1.apps"] is True
    assert shown["environments"] == [{"name": ENV, "namespace": NAMESPACE}]
    assert [(a["name"], a["health"], a["pods"], a["ready"]) for a in shown["applications"]] == [
        (APP, "healthy", 1, 1)
    ]
    assert shown["errors"] == {}


def test_show_for_people_names_nodes_and_apps(fleet: Fleet) -> None:
    code, out, err = fleet.run("cluster", "show", "main")
    assert code == 0, err
    assert "nodes: " in out and " Ready" in out and f"app {APP} in {ENV}: healthy (1/1)" in out


def test_an_unreachable_cluster_is_named_and_the_rest_still_shown(fleet: Fleet) -> None:
    data = yaml.safe_load(fleet.sandbox.kubeconfig.read_text())
    port = closed_port()
    data["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    dead = fleet.tmp / "dead.kubeconfig"
    dead.write_text(yaml.safe_dump(data))
    code, _, err = fleet.run("cluster", "add", "gone", "--kubeconfig", dead)
    assert code == 0, err
    code, _, err = fleet.run("env", "create", "lost", "--cluster", "gone", "-n", "lost")
    assert code == 0, err
    shown = fleet.json("cluster", "show", "gone", "--timeout", "3")
    assert shown["reachable"] is False and shown["nodes"] == []
    assert f"127.0.0.1:{port}" in shown["errors"]["api"]
    assert "cluster gone" in shown["errors"]["api"]  # not the temporary file it was read from
    assert shown["environments"] == [{"name": "lost", "namespace": "lost"}]
    code, out, _ = fleet.run("cluster", "show", "gone", "--timeout", "3")
    assert "UNREACHABLE" in out and "error reading api" in out


def test_remove_is_refused_while_an_environment_uses_the_cluster(fleet: Fleet) -> None:
    code, _, err = fleet.run("cluster", "remove", "main")
    assert code != 0 and f"environment(s) {ENV}" in err
    code, _, err = fleet.run("cluster", "add", "spare", "--kubeconfig", fleet.sandbox.kubeconfig)
    assert code == 0, err
    assert fleet.run("cluster", "remove", "spare")[0] == 0
    names = [c["name"] for c in fleet.json("cluster", "list")]
    assert "spare" not in names and "main" in names


def test_env_create_with_a_kubeconfig_registers_a_cluster_its_clients_come_from(
    fleet: Fleet,
) -> None:
    copy = fleet.tmp / "copied.kubeconfig"
    shutil.copy(fleet.sandbox.kubeconfig, copy)
    code, _, err = fleet.run("env", "create", "legacy", "--kubeconfig", copy, "-n", "legacy")
    assert code == 0, err
    code, _, err = fleet.run("env", "create", "legacy2", "--kubeconfig", copy, "-n", "legacy2")
    assert code == 0, err
    with open_store(fleet) as store:
        first, second = store.get_environment("legacy"), store.get_environment("legacy2")
        assert first.cluster == second.cluster == "main"  # the same kubeconfig: main reused
        copy.unlink()  # the file is gone: the client is built from the stored kubeconfig
        reachable, version = reach(store.get_environment("legacy"))
    assert reachable, version


def test_the_kubeconfig_is_never_shown_nor_stored_in_clear_and_the_console_shows_it(
    fleet: Fleet,
) -> None:
    outputs = [
        fleet.run("cluster", "show", "main", "-o", "yaml")[1],
        fleet.run("cluster", "list", "-o", "json")[1],
        fleet.run("env", "show", ENV, "-o", "json")[1],
        fleet.run("env", "list", "-o", "json")[1],
        fleet.run("audit", "list", "-o", "json")[1],
    ]
    app = create_app(fleet.db_url, environ=fleet.environ)
    with open_store(fleet) as store:
        store.create_user("root", password=None, admin=True)
        token = store.create_token("root")[0]
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for url in ("/api/v1/clusters", "/api/v1/clusters/main", f"/api/v1/environments/{ENV}"):
            answer = client.get(url, headers=headers)
            assert answer.status_code == 200, answer.text
            outputs.append(answer.text)
        assert client.get("/api/v1/clusters/main", headers=headers).json()["reachable"]
        with open_store(fleet) as store:
            cookie = {"Cookie": f"{COOKIE}={Sessions(store).create('root').id}"}
        overview = client.get("/ui/clusters", headers=cookie)
        page = client.get("/ui/clusters/main", headers=cookie)
        assert overview.status_code == page.status_code == 200
        outputs += [overview.text, page.text]
    # The console: the fleet overview and the cluster's page, read live.
    assert f"{fleet.sandbox.nodes}/{fleet.sandbox.nodes}" in overview.text  # nodes Ready
    assert "1/1" in overview.text  # applications healthy
    assert "kwok-node-0" in page.text and f">{APP}</a>" in page.text and "readyz etcd" in page.text
    rows = store_text(fleet.db_url)
    for secret in fleet.secrets():
        for shown in [*outputs, rows]:
            assert secret not in shown
    with open_store(fleet) as store:
        stored = store.cluster_kubeconfig("main").reveal()
    assert fleet.secrets()[1] in stored  # flattened: the key file's content is in it
    assert "client-key-data" in stored and "client-key:" not in stored


def test_a_viewer_of_no_environment_there_does_not_see_the_cluster(fleet: Fleet) -> None:
    app = create_app(fleet.db_url, environ=fleet.environ)
    with open_store(fleet) as store:
        store.create_user("eve", password=None, admin=False)
        token = store.create_token("eve")[0]
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/clusters", headers=headers).json() == []
        assert client.get("/api/v1/clusters/main", headers=headers).status_code == 404
        added = client.post(
            "/api/v1/clusters",
            json={"name": "x", "kubeconfig": str(fleet.sandbox.kubeconfig)},
            headers=headers,
        )
        assert added.status_code == 403


def test_the_apis_client_pool_keeps_a_clusters_client(fleet: Fleet) -> None:
    built: list[str] = []

    def counting(*args: Any) -> KubeClient:
        built.append(str(args[0]))
        return build_client(*args)

    with open_store(fleet) as store, Clusters(build=counting) as pool:
        env = store.get_environment(ENV)
        for _ in range(3):
            with environment_client(env, pool.connect) as kube:
                assert kube.version().startswith("v1.")
    assert len(built) == 1  # one client for three reads
    assert not Path(built[0]).exists()  # its decrypted kubeconfig was removed once read
