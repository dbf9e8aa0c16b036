"""Schemathesis over ``/openapi.json``: no operation answers a 5xx, whatever it is sent.

The API is a real ``kapstan server`` process on 127.0.0.1 over a SQLite store populated
like every API test's (``conftest.populate``), plus one finished (failed: no cluster)
deploy of ``shop`` in dev and one pending promotion of it to prod, so operation and
approval ids exist. Every operation of the schema gets a bounded number of generated
requests (valid and invalid ones, fixed seed), as the administrator; path parameters are
often replaced by names and ids that exist, so the requests get past "not found" into the
handlers. Each answer is checked: not a server error, and, where the schema documents the
status, a body of the documented shape.

No operation is left out: the event stream ends at once for a finished operation, the
webhook refuses an unsigned request (401), and deploy, rollback and promote answer 202 (or
an approval) at once, their operation failing fast with no cluster. The one 5xx allowed
is 502 ClusterError from the operations that read the live cluster (``CLUSTER_READS``).

(With pytest 9 the per-operation items share one node id; their reports name the operation.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from kapstan.api.app import create_app
from kapstan.store import Store
from tests.api.conftest import Api, open_api
from tests.replicas.servers import Replica, replicas

SEED = 20240601
# Hypothesis examples per operation, besides schemathesis' own boundary, missing-field and
# wrong-method cases: about 2,700 requests in all, well under a minute on 2 cores.
EXAMPLES = 15
# Names and ids that exist in the store, by path parameter; ``name`` depends on the path.
KNOWN: dict[str, list[Any]] = {
    "app": ["shop"],
    "operation_id": [1],
    "approval_id": [1],
    "token_id": [1],
}
# These read the live cluster, which does not exist here: 502 ClusterError is their answer.
CLUSTER_READS = {
    "GET /api/v1/applications/{app}/plan",
    "GET /api/v1/applications/{app}/rollback/plan",
    "GET /api/v1/applications/{app}/status",
    "GET /api/v1/applications/{app}/events",
    "GET /api/v1/applications/{app}/top",
    "POST /api/v1/applications/{app}/drift",  # a check now reads the live objects
    "GET /api/v1/environments/{name}/kubernetes",
    # Setting a quota applies it to the cluster at once (it stays stored, and says so).
    "PUT /api/v1/environments/{name}/quota",
    "PATCH /api/v1/environments/{name}/quota",
    # So does setting log rules: the collector is applied (the rules stay stored).
    "PUT /api/v1/environments/{name}/log-rules",
    "DELETE /api/v1/environments/{name}/log-rules",
    "POST /api/v1/environments/{name}/log-rules/apply",
}
KNOWN_NAMES = {
    "/api/v1/users/": ["vic", "root"],
    "/api/v1/templates/": ["shop"],
    "/api/v1/configs/": ["dev", "prod"],
    "/api/v1/environments/": ["dev", "prod", "other"],
}


@dataclass
class Fuzzed:
    replica: Replica
    db: str
    environ: dict[str, str]
    token: str
    token_id: int
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def renew_token(self) -> None:
        """A new admin token: the fuzzer may revoke its own (``DELETE /tokens/{id}``)."""
        with Store.open(self.db, environ=self.environ) as store:
            self.token, info = store.create_token("root", description="schemathesis")
        self.token_id = info.id

    @property
    def url(self) -> str:
        return str(self.replica.client.base_url)

    def server_log(self) -> str:
        return self.replica.log.read_text()[-4000:]


@contextmanager
def populated(db: str, home: Path) -> Iterator[dict[str, str]]:
    """The store at ``db`` as the API tests see it (made in process); yields the server's environ."""
    with contextmanager(open_api)(db, home) as api:
        environ = dict(api.state.environ or {})
    yield environ


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    home = tmp_path_factory.mktemp("schemathesis")
    db = f"sqlite:///{home / 'kapstan.db'}"
    with populated(db, home) as environ:
        # POST /market/catalogs registers catalogs: in this test's folder, not the user's.
        environ |= {
            "KAPSTAN_MARKETS_FILE": str(home / "markets.json"),
            "KAPSTAN_CACHE_DIR": str(home / "cache"),
        }
        with Store.open(db, environ=environ) as store:
            token, info = store.create_token("root", description="schemathesis")
        with replicas(db, token, environ, home, ("fuzzed",)) as started:
            replica = started["fuzzed"]
            seed_operations(replica)
            yield Fuzzed(replica, db, environ, token, info.id)


def seed_operations(replica: Replica) -> None:
    """Operation 1 (a deploy that fails at once: no cluster) and approval 1 (pending)."""
    deployed = replica.client.post(
        "/api/v1/applications/shop/deploy", params={"wait": "true"}, json={}
    )
    assert deployed.status_code == 200, deployed.text
    promoted = replica.client.post(
        "/api/v1/applications/shop/promote", json={"toEnvironment": "prod"}
    )
    assert promoted.status_code == 202 and promoted.json()["approvalId"] == 1, promoted.text


def known_values(path: str, parameter: str) -> list[Any]:
    if parameter == "name":
        return next((names for prefix, names in KNOWN_NAMES.items() if path.startswith(prefix)), [])
    return KNOWN.get(parameter, [])


def app_schema() -> dict[str, Any]:
    """The document the server answers at /openapi.json (``test_served_schema`` checks)."""
    return create_app("sqlite://", environ={}).openapi()


schema = schemathesis.openapi.from_dict(
    app_schema(), config=schemathesis.Config.from_dict({"seed": SEED})
)


@schema.hook
def flatmap_path_parameters(
    ctx: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    # Random names and ids are all "not found": often use ones that exist instead.
    if not path_parameters or ctx.operation is None:
        return st.just(path_parameters)
    path = ctx.operation.path
    choices = {
        key: st.sampled_from([value, *known_values(path, key)])
        for key, value in path_parameters.items()
    }
    return st.fixed_dictionaries(choices)


def test_served_schema(fuzzed: Fuzzed) -> None:
    assert fuzzed.replica.client.get("/openapi.json").json() == app_schema()


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
)
def test_no_server_error(case: schemathesis.Case[Any], fuzzed: Fuzzed) -> None:
    response = case.call(base_url=fuzzed.url, headers=fuzzed.headers(), timeout=30)
    fuzzed.answers[case.operation.label, response.status_code] += 1
    unreachable = no_cluster(case, response)
    # Said first, with the server log's tail: the check's own message has no stack trace.
    assert response.status_code < 500 or unreachable, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text}\n"
        f"server log:\n{fuzzed.server_log()}"
    )
    checks = [response_schema_conformance]
    case.validate_response(
        response, checks=checks if unreachable else [not_a_server_error, *checks]
    )
    revoked = case.path == "/api/v1/tokens/{token_id}" and response.status_code == 200
    if revoked and response.json()["id"] == fuzzed.token_id:
        fuzzed.renew_token()


def no_cluster(case: schemathesis.Case[Any], response: Any) -> bool:
    """The one 5xx expected here: 502 ClusterError where the live cluster is read."""
    if response.status_code != 502 or case.operation.label not in CLUSTER_READS:
        return False
    return bool(response.json()["error"]["type"] == "ClusterError")


def test_fuzzer_got_past_authentication(fuzzed: Fuzzed) -> None:
    """Runs last: had the fuzzer's token stopped working, all it saw was 401 (or answers
    given before authentication: 405 wrong method, 400 unparsable body)."""
    operations = {
        f"{method.upper()} {path}"
        for path, methods in app_schema()["paths"].items()
        for method in methods
    }
    past = {label for label, status in fuzzed.answers if status not in (400, 401, 405)}
    assert operations - past == set()


# What the fuzzer found (500s: the database driver refused the number), pinned in process.
TOO_BIG = 2**63


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", f"/api/v1/approvals/{TOO_BIG}", None, "path.approval_id"),
        ("get", f"/api/v1/configs/dev/diff?old=1&new={TOO_BIG}", None, "query.new"),
        ("get", f"/api/v1/audit?offset={TOO_BIG}", None, "query.offset"),
        (
            "patch",
            "/api/v1/applications/shop",
            {"templateVersion": TOO_BIG},
            "body.templateVersion",
        ),
        ("post", "/api/v1/configs/dev/rollback", {"version": TOO_BIG}, "body.version"),
    ],
)
def test_numbers_past_the_store_are_input_errors(
    api: Api, method: str, path: str, body: Any, field: str
) -> None:
    answer = api.client.request(method, path, json=body, headers=api.auth("root"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["type"] == "InputError"
    assert f"{field}: Input should be less than or equal to 2147483647" in answer.text
