"""What the instances view takes from the store, with no cluster to read: the release
behind its pin, a drift check of a replaced revision not counted, the last operation, and
a cluster that cannot be read named without hiding the rest."""

from __future__ import annotations

from pathlib import Path

from kapstan.actions.instances import app_instances, instances_data
from kapstan.model.operation import Step
from kapstan.store import Store
from tests.sqlitestores import migrated_sqlite

FILES = {"kapstan.yaml": "name: shop\nservices:\n  web:\n    manifests: [web.yaml]\n"}
WEB = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {v: '${v:-1}'}\n"


def revise(store: Store, config_version: int, status: str = "deployed") -> None:
    store.add_revision(
        "shop",
        "web",
        manifests="",
        hash=f"h{config_version}",
        template="shop",
        template_version=1,
        config="shop",
        config_version=config_version,
        author="ana",
        status=status,
    )


def test_release_drift_and_last_operation_come_from_the_store(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{migrated_sqlite(tmp_path / 'k.db')}", environ={}) as store:
        store.create_config("shop", {"v": "1"}, author="t")
        store.create_environment(
            "dev", kubeconfig=str(tmp_path / "none"), context=None, namespace="d", config=None
        )
        store.save_template_version("shop", {**FILES, "web.yaml": WEB}, "d1", author="t")
        store.create_application(
            "shop",
            template="shop",
            template_version=1,
            environment="dev",
            config="shop",
            config_version=None,  # follows the latest: 2, below
        )
        revise(store, 1)
        store.record_drift("shop", "web", drifted=True, revision=1, diff="", fields=["x"])
        assert app_instances(store, "shop").drifted == ["shop"]
        store.add_config_version("shop", {"v": "2"}, author="t")
        revise(store, 1, status="failed")  # revision 2 replaced the drifted one, and failed
        op = store.start_operation("shop", "deploy", author="bob", services=["web"])
        store.finish_operation(op.id, Step.FAILED, "web: timed out")
        view = app_instances(store, "shop")
    (row,) = instances_data(view)["instances"]
    assert (row["configVersion"], row["configFollowsLatest"]) == (2, True)
    # the newest deployed revision ran config 1; web's last revision is not deployed
    assert (row["deployed"]["configVersion"], row["deployed"]["current"]) == (1, False)
    assert row["drift"] == {"state": "not checked", "services": [], "checkedAt": None}
    last = row["lastOperation"]
    assert (last["kind"], last["status"], last["author"]) == ("deploy", "failed", "bob")
    assert last["message"] == "web: timed out"
    health = row["health"]
    assert health["status"] == "unknown" and str(tmp_path / "none") in health["error"]
    assert view.unhealthy == ["shop"] and view.drifted == []
