"""``POST /api/v1/environments`` (and clone) checks the kubeconfig and context as the CLI
does (one check in the actions): 422 naming the file and what is wrong, nothing created."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import Api
from tests.cli.test_env_kubeconfig import CASES, GOOD


@pytest.mark.parametrize("case", ["no contexts", "not YAML", "an unknown --context", "empty"])
def test_environment_create_names_what_is_wrong_with_the_kubeconfig(
    api: Api, tmp_path: Path, case: str
) -> None:
    text, context, expected = CASES[case]
    path = tmp_path / "qa-kubeconfig"
    path.write_text(text)
    body = {"name": "qa", "kubeconfig": str(path), "namespace": "qa", "context": context}
    refused = api.post("/api/v1/environments", body)
    assert refused.status_code == 422, refused.text
    message = refused.json()["error"]["message"]
    assert expected in message and str(path) in message
    assert api.get("/api/v1/environments/qa").status_code == 404


def test_environment_clone_checks_a_new_context(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "qa-kubeconfig"
    path.write_text(GOOD)
    body = {"name": "qa", "namespace": "ns-qa", "kubeconfig": str(path), "context": "prod"}
    refused = api.post("/api/v1/environments/dev/clone", body)
    assert refused.status_code == 422 and "it has: ctx, other" in refused.text
    done = api.post("/api/v1/environments/dev/clone", {**body, "context": "other"})
    assert done.status_code == 201, done.text
