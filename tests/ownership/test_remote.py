"""Conflicts and --adopt through a real ``kapstan server``: plan, refusal, adoption, audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan import sandbox
from tests.ownership.conftest import Kubectl, kubectl
from tests.remote.conftest import Cli, cli, server
from tests.remote.test_deploys import import_template, make_app, make_env

__all__ = ["cli", "kubectl", "server"]

pytestmark = pytest.mark.cluster

FOREIGN_DB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: db, namespace: {ns}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: db}}}}
  template:
    metadata: {{labels: {{app: db}}}}
    spec:
      containers: [{{name: db, image: "postgres:16"}}]
"""


def test_plan_refusal_and_adopt_through_the_server(
    cli: Cli, sandbox_cluster: sandbox.SandboxState, kubectl: Kubectl, tmp_path: Path
) -> None:
    import_template(cli, tmp_path / "duo")
    ns = make_env(cli, "own", Path(sandbox_cluster.kubeconfig), dana="deployer")
    make_app(cli, "own", "duo", "own")
    kubectl("create", "namespace", ns)
    kubectl("apply", "-f", "-", input=FOREIGN_DB.format(ns=ns))
    message = (
        f"Deployment {ns}/db was created by kubectl-client-side-apply, not Kapstan: "
        "pass --adopt to take it over (audited)"
    )

    plan = cli.remote("app", "plan", "own", user="dana")
    assert plan.code == 0 and f"  conflict  {message}" in plan.out.splitlines()
    assert plan.out == cli.local("app", "plan", "own").out, "the same plan either way"
    data = cli.remote("app", "plan", "own", "-o", "json", user="dana").json()
    found = [r["conflict"] for s in data["services"] for r in s["resources"] if r["conflict"]]
    assert found == [
        {
            "object": f"Deployment {ns}/db",
            "owner": "kubectl-client-side-apply",
            "adoptable": True,
            "message": message,
        }
    ]

    refused = cli.remote("app", "deploy", "own", "--yes", user="dana")
    assert refused.code == 1 and message in refused.err
    adopted = cli.remote("app", "deploy", "own", "--yes", "--adopt", user="dana")
    assert adopted.code == 0, adopted.err
    with cli.server.store() as store:
        entries = [e for e in store.list_audit(name="own") if e.action == "app.adopt"]
        assert [(e.actor, e.details["objects"]) for e in entries] == [
            ("dana", [f"Deployment {ns}/db (from kubectl-client-side-apply)"])
        ]
        deploys = [e for e in store.list_audit(name="own") if e.action == "app.deploy"]
        assert deploys[0].details.get("adopt") is True

    # A second application over the first one's objects: --adopt does not cover it.
    make_app(cli, "own-b", "duo", "own")
    taken = f"Deployment {ns}/db is owned by application own (environment own)"
    assert taken in cli.remote("app", "plan", "own-b").out
    again = cli.remote("app", "deploy", "own-b", "--yes", "--adopt")
    assert again.code == 1 and taken in again.err
