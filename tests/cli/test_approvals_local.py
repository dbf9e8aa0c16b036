"""The local store (``--db``) meets the same approval gate as a server: a change into an
environment that requires approval is recorded as a pending request, says which, exits 3
and applies nothing; another user approving it (``kapstan approval approve ID``) runs it,
here, once, as the requester's.

dev (no approval) holds app ``src``; prod requires approval. ``tester`` (the
``$KAPSTAN_USER`` of these tests) deploys in prod; ``paul`` may approve there.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from kapstan import sandbox
from kapstan.store import Store
from tests.cli.conftest import Run

NOTHING = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"
WAITING = 3  # the exit code of a change that waits for approval


def gated_world(kapstan: Run, db_url: str, bookstore: Path, kubeconfig: str, ns: str) -> None:
    assert kapstan("template", "import", bookstore).code == 0
    for env in ("dev", "prod"):
        assert (
            kapstan("config", "set", env, "web.host=h.example.test", "catalog.replicas=1").code == 0
        )
        assert kapstan("config", "set", env, "--secret", "db.password=pw-123456").code == 0
    with Store.open(db_url) as store:
        for env in ("dev", "prod"):
            store.create_environment(
                env, kubeconfig=kubeconfig, context=None, namespace=f"{ns}-{env}", config=env
            )
        store.set_environment_approval("prod", True)
        for user in ("tester", "paul"):
            store.create_user(user, password=None)
            store.grant_role(user, "prod", "deployer")
    assert kapstan("app", "create", "src", "--template", "bookstore", "--env", "dev").code == 0


def approval_id(out: str) -> int:
    found = re.search(r"approval (\d+) is pending", out)
    assert found, out
    return int(found.group(1))


@pytest.fixture
def local(kapstan: Run, db_url: str, bookstore: Path, tmp_path: Path) -> Run:
    nowhere = tmp_path / "nowhere"
    nowhere.write_text(NOTHING)
    gated_world(kapstan, db_url, bookstore, str(nowhere), "ns")
    return kapstan


def test_a_local_promotion_into_a_gated_environment_waits_for_approval(
    local: Run, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = local("app", "promote", "src", "--to", "prod")
    assert asked.code == WAITING, asked.err
    number = approval_id(asked.out)
    assert f"`kapstan approval approve {number}`" in asked.out
    assert local("app", "show", "src-prod").code == 1, "nothing is created before approval"
    pending = local("approval", "list", "--status", "pending", "-o", "json").json()
    assert [(a["id"], a["kind"], a["application"], a["requestedBy"]) for a in pending] == [
        (number, "promote", "src-prod", "tester")
    ]
    own = local("approval", "approve", str(number))
    assert own.code == 1 and "your own request" in own.err
    monkeypatch.setenv("KAPSTAN_USER", "paul")
    approved = local("approval", "approve", str(number))
    assert approved.code == 0, approved.err
    assert approved.out.startswith(
        f"approval {number} approved: promote of src-prod in prod, as tester\n"
    )
    assert local("app", "show", "src-prod", "-o", "json").json()["environment"] == "prod"
    assert local("approval", "show", str(number), "-o", "json").json()["status"] == "used"
    assert local("approval", "approve", str(number)).code == 1, "once"


def test_a_local_delete_in_a_gated_environment_waits_for_approval(
    local: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert local("app", "create", "shop", "--template", "bookstore", "--env", "prod").code == 0
    asked = local("app", "delete", "shop", "--yes")
    assert asked.code == WAITING, asked.err
    number = approval_id(asked.out)
    assert local("app", "show", "shop").code == 0, "not deleted"
    assert local("app", "operations", "shop", "-o", "json").json() == []
    withdrawn = local("approval", "withdraw", str(number), "-r", "wrong app")
    assert (withdrawn.code, withdrawn.out) == (0, f"approval {number} withdrawn: wrong app\n")
    again = approval_id(local("app", "delete", "shop", "--yes").out)
    monkeypatch.setenv("KAPSTAN_USER", "paul")
    approved = local("approval", "approve", str(again), "-o", "json")
    assert approved.code == 0, approved.err
    assert approved.json()[0]["kind"] == "delete" and approved.json()[0]["author"] == "tester"
    assert local("app", "show", "shop").code == 1, "deleted once approved"


def test_a_local_deploy_into_a_gated_environment_waits_for_approval_then_runs(
    kapstan: Run,
    db_url: str,
    bookstore: Path,
    sandbox_cluster: sandbox.SandboxState,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gated_world(
        kapstan, db_url, bookstore, str(sandbox_cluster.kubeconfig), f"g{uuid.uuid4().hex[:6]}"
    )
    assert kapstan("app", "create", "shop", "--template", "bookstore", "--env", "prod").code == 0
    asked = kapstan("app", "deploy", "shop", "--yes")
    assert asked.code == WAITING, asked.err
    number = approval_id(asked.out)
    assert "environment prod requires approval; nothing runs yet" in asked.out
    assert kapstan("app", "operations", "shop", "-o", "json").json() == [], "nothing applied"
    status = kapstan("app", "status", "shop", "-o", "json").json()
    assert {s["revision"] for s in status} == {None}, "no revision"

    monkeypatch.setenv("KAPSTAN_USER", "paul")
    approved = kapstan("approval", "approve", str(number))
    assert approved.code == 0, approved.err
    assert "(deploy) succeeded: 3 ready" in approved.out
    (op,) = kapstan("app", "operations", "shop", "-o", "json").json()
    assert (op["author"], op["status"]) == ("tester", "succeeded"), "run as its requester's"

    monkeypatch.setenv("KAPSTAN_USER", "tester")
    assert kapstan("config", "set", "prod", "catalog.replicas=2").code == 0
    assert kapstan("app", "update", "shop").code == 0
    monkeypatch.setenv("KAPSTAN_USER", "paul")  # a deploy paul asks for, tester approves
    second = approval_id(kapstan("app", "deploy", "shop", "--yes").out)
    monkeypatch.setenv("KAPSTAN_USER", "tester")
    assert kapstan("approval", "approve", str(second)).code == 0
    rollback = kapstan("app", "rollback", "shop", "--yes")
    assert rollback.code == WAITING, rollback.err
    back = approval_id(rollback.out)
    assert len(kapstan("app", "operations", "shop", "-o", "json").json()) == 2
    monkeypatch.setenv("KAPSTAN_USER", "paul")
    rolled = kapstan("approval", "approve", str(back))
    assert rolled.code == 0 and "(rollback) succeeded" in rolled.out, rolled.err
