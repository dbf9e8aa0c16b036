"""One Kapstan store per module with the session sandbox registered as cluster ``main``,
an environment on it and an application with one pod there (issue 17: clusters registry)."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from kapstan.cli.main import main
from kapstan.kube import connect
from kapstan.sandbox import SandboxState
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.cluster.kube_helpers import wait_for

APP, ENV, NAMESPACE = "shop", "prod", "h7-clusters"


@dataclass
class Fleet:
    """The module's store URL and environment; ``run`` drives ``kapstan`` in process."""

    db_url: str
    environ: dict[str, str]
    sandbox: SandboxState
    tmp: Path
    run: Callable[..., tuple[int, str, str]]

    def json(self, *args: str | Path) -> Any:
        code, out, err = self.run(*args, "-o", "json")
        assert code == 0, err
        return json.loads(out)

    def secrets(self) -> list[str]:
        """Key material of the sandbox's kubeconfig: the client key as PEM body and base64,
        and the CA's base64 (what a flattened kubeconfig would print)."""
        config = yaml.safe_load(self.sandbox.kubeconfig.read_text())
        key = Path(config["users"][0]["user"]["client-key"]).read_bytes()
        body = [line for line in key.decode().splitlines() if not line.startswith("-----")]
        return [body[1], base64.b64encode(key).decode()[20:80], "PRIVATE KEY"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def fleet(
    sandbox_cluster: SandboxState,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Fleet]:
    tmp = tmp_path_factory.mktemp("clusters")
    db_url = f"sqlite:///{tmp / 'kapstan.db'}"
    environ = {"KAPSTAN_DB": db_url, "KAPSTAN_SECRET_KEY": generate_key(), "KAPSTAN_USER": "ana"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environ.items():
            patch.setenv(key, value)
        patch.delenv("KAPSTAN_SECRET_KEY_FILE", raising=False)
        patch.delenv("KAPSTAN_SERVER", raising=False)
        fleet = Fleet(db_url, environ, sandbox_cluster, tmp, run_kapstan)
        _populate(fleet)
        yield fleet
        with connect(sandbox_cluster.kubeconfig) as kube:
            kube.delete("v1", "Namespace", NAMESPACE)


def run_kapstan(*args: str | Path) -> tuple[int, str, str]:
    """``kapstan ARGS`` in process: (exit code, stdout, stderr). Module fixtures cannot take
    ``capsys``, so the output is captured here."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def _populate(fleet: Fleet) -> None:
    steps: list[tuple[str | Path, ...]] = [
        ("cluster", "add", "main", "--kubeconfig", fleet.sandbox.kubeconfig),
        ("template", "import", Path(__file__).parents[1] / "cli" / "fixtures" / "bookstore"),
        ("config", "set", ENV, "web.host=shop.example.com", "catalog.replicas=1"),
        ("config", "set", ENV, "--secret", "db.password=s3cret-pw"),
        ("env", "create", ENV, "--cluster", "main", "--namespace", NAMESPACE, "--config", ENV),
        ("app", "create", APP, "--template", "bookstore", "--env", ENV),
    ]
    for step in steps:
        code, _, err = fleet.run(*step)
        assert code == 0, (step, err)
    with connect(fleet.sandbox.kubeconfig) as kube:
        kube.ensure_namespace(NAMESPACE)
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "shop-web",
                "namespace": NAMESPACE,
                "labels": {"kapstan.io/app": APP},
            },
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
        }
        kube.apply(pod)

        def ready() -> bool:
            live = kube.get("v1", "Pod", "shop-web", NAMESPACE) or {}
            conditions = (live.get("status") or {}).get("conditions") or []
            return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

        wait_for("pod shop-web Ready", ready)


def store_text(db_url: str) -> str:
    """Every text column of every row of the store, as one string (to grep for secrets)."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            rows = [
                str(tuple(r)) for n in names for r in conn.execute(sa.text(f'SELECT * FROM "{n}"'))
            ]
    finally:
        engine.dispose()
    return "\n".join(rows)


def open_store(fleet: Fleet) -> Store:
    return Store.open(fleet.db_url, environ=fleet.environ)
