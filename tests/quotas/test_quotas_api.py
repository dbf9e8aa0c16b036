"""The quota through the API, without a cluster (one test, one API world): who may read and
set it, keys checked before anything is stored, and a quota that could not be applied stays
stored and says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Api, open_api

QUOTA = "/api/v1/environments/dev/quota"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from open_api(str(tmp_path / "kapstan.db"), tmp_path)


def test_viewers_read_admins_set_keys_checked_and_stored_if_not_applied(api: Api) -> None:
    shown = api.get(QUOTA, user="vic", params={"live": "false"})
    assert shown.status_code == 200, shown.text
    assert shown.json()["hard"] == {} and shown.json()["namespace"]
    refused = api.patch(QUOTA, {"hard": {"pods": "5"}}, user="dana")  # a deployer in dev
    assert refused.status_code == 403, refused.text
    assert "needs an administrator or its admin role" in refused.text
    assert api.get(QUOTA, user="olga").status_code == 403  # no role in dev at all
    # A bad key or quantity is named, and nothing is stored.
    for body, named in (
        ({"hard": {"cpus": "2"}}, "hard['cpus']: 'cpus' is not a quota resource"),
        ({"hard": {"memory": "8GB"}}, "hard['memory']: '8GB' is not a Kubernetes quantity"),
        ({"container": {"default": {"gpu": "1"}}}, "'gpu' is not a container resource"),
    ):
        answer = api.patch(QUOTA, body)
        assert answer.status_code in (400, 422), answer.text
        assert named in answer.text, answer.text
    bad = api.put(QUOTA, {"hard": {"pods": "2.5"}})
    assert "'2.5' is not a whole number of objects" in bad.text, bad.text
    assert api.get(QUOTA, params={"live": "false"}).json()["hard"] == {}
    # A quota the cluster did not take (there is none here) is stored, and says so.
    answer = api.patch(QUOTA, {"hard": {"cpu": "2", "pods": "5"}})
    assert answer.status_code >= 400
    assert "environment dev: the quota could not be applied" in answer.text, answer.text
    assert "kapstan env quota set dev" in answer.text
    stored = api.get(QUOTA, params={"live": "false"}).json()
    assert stored["hard"] == {"requests.cpu": "2", "pods": "5"}
    assert stored["applied"] == []
    [entry] = api.audit("environment.quota")
    assert entry["details"]["quota"]["hard"] == {"pods": "5", "requests.cpu": "2"}
