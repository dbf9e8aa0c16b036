"""`kapstan demo` end to end on the sandbox: market install, waves, one key rolls one service,
promotion to prod."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from kapstan import sandbox
from kapstan.cli.main import main
from kapstan.kube import connect
from kapstan.store import Store

pytestmark = pytest.mark.cluster


def test_the_demo_runs_end_to_end_and_cleans_up(
    sandbox_cluster: sandbox.SandboxState,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KAPSTAN_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv(
        "KAPSTAN_DEMO_SANDBOX", f"pytest-demo-{uuid.uuid4().hex[:6]}"
    )  # never the user's demo
    prefix = f"demo-{uuid.uuid4().hex[:6]}"
    code = main(
        [
            "demo",
            "--kubeconfig",
            str(sandbox_cluster.kubeconfig),
            "--prefix",
            prefix,
            "--quiet",
            "--timeout",
            "120",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "only catalog rolled when catalog.image.tag changed" in out
    assert "6/6 done" in out

    with Store.open(str(tmp_path / "demo" / "kapstan.db")) as store:
        shop = {r.service for r in store.list_revisions("shop") if r.number == 2}
        assert shop == {"catalog"}, "the change made exactly one new revision"
        prod = store.get_application("shop-prod")
        assert (prod.environment, prod.template_version) == (
            "prod",
            store.get_application("shop").template_version,
        )
        dev_password = store.get_config("shop").values["postgres.password"]
        prod_password = store.get_config("prod").values["postgres.password"]
        assert str(dev_password) == "<redacted>"
        assert dev_password != prod_password, "prod has secrets of its own"
    with connect(sandbox_cluster.kubeconfig) as cluster:
        gateway = cluster.get("apps/v1", "Deployment", "gateway", f"{prefix}-prod")
        assert gateway is not None and gateway["status"].get("readyReplicas")
        assert cluster.get("batch/v1", "Job", "migrations", f"{prefix}-prod") is not None

    assert main(["demo", "--cleanup", "--quiet"]) == 0
    assert not (tmp_path / "demo").exists()
    out = capsys.readouterr().out
    assert "deleting application shop-prod from prod" in out
    with connect(sandbox_cluster.kubeconfig) as cluster:  # `app delete` took it all away
        for env in ("dev", "prod"):
            assert cluster.get("apps/v1", "Deployment", "gateway", f"{prefix}-{env}") is None
            assert cluster.list("v1", "PersistentVolumeClaim", f"{prefix}-{env}") == []
