"""``kapstan server --workers 2``: two real uvicorn worker processes on one store keep every
security property that per-process memory could break (issue 15, Server).

- a revoked token and a removed role are refused by every worker within seconds (the
  access cache's ttl): polled, with a bounded number of requests, until refused many
  times in a row over fresh connections (which the two workers share between them);
- the login rate limit counts failures in the store, whichever worker answers;
- copies of one signed webhook sent at the same moment are applied once.

Every request opens its own connection, so the kernel hands them to either worker.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest

from kapstan.api.flows.hooks import sign
from kapstan.model.values import SecretValue
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from kapstan.templates.content import template_digest
from tests.api import samples
from tests.replicas import servers
from tests.replicas.servers import Replica, replicas

PASSWORD = "a-long-enough-password"
IN_A_ROW = 20  # refusals in a row over fresh connections: both workers refuse
MAX_POLLS = 5000  # bounds the polling loops (the ttl is 2 s; a request takes milliseconds)
POLL_DEADLINE = 60.0
COPIES = 8
START_TIMEOUT = 180.0


@dataclass
class Workers:
    replica: Replica
    db: str
    tokens: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.replica.port}"

    def get(self, path: str, user: str) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        return httpx2.get(f"{self.url}{path}", headers=headers, timeout=30)


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    home = tmp_path_factory.mktemp("workers")
    db = f"sqlite:///{home / 'kapstan.db'}"
    key = generate_key()
    kubeconfig = home / "kubeconfig"
    kubeconfig.write_text(samples.NO_CLUSTER)
    tokens: dict[str, str] = {}
    with Store.open(db, environ={"KAPSTAN_SECRET_KEY": key}) as store:
        store.save_template_version(
            "shop", samples.FILES, template_digest(samples.FILES), author="test"
        )
        store.create_config("dev", {"db.password": SecretValue("pw")}, author="test")
        store.create_environment(
            "dev", kubeconfig=str(kubeconfig), context=None, namespace="dev", config="dev"
        )
        store.create_application(
            "shop",
            template="shop",
            template_version=1,
            environment="dev",
            config="dev",
            config_version=None,
        )
        for name in ("root", "tina", "rita", "lola"):
            password = PASSWORD if name == "lola" else None
            store.create_user(name, password=password, admin=name == "root")
            tokens[name] = store.create_token(name)[0]
        store.grant_role("rita", "dev", "viewer")
    environ = {"KAPSTAN_SECRET_KEY": key}
    extra = ("--workers", "2")
    with pytest.MonkeyPatch.context() as patch:
        # Each worker is a new Python that imports Kapstan: on a busy machine, slower to start.
        patch.setattr(servers, "START_TIMEOUT", START_TIMEOUT)
        with replicas(db, tokens["root"], environ, home, ("workers",), extra) as up:
            yield Workers(up["workers"], db, tokens)


def refused_in_a_row(workers: Workers, path: str, user: str, status: int) -> int:
    """Requests sent until ``IN_A_ROW`` in a row were answered ``status`` (bounded)."""
    deadline = time.monotonic() + POLL_DEADLINE
    row = 0
    for sent in range(1, MAX_POLLS + 1):
        answer = workers.get(path, user)
        assert answer.status_code in (200, status), answer.text
        row = row + 1 if answer.status_code == status else 0
        if row == IN_A_ROW:
            return sent
        assert time.monotonic() < deadline, f"still answered 200 after {sent} requests"
    raise AssertionError(f"not refused {IN_A_ROW} times in a row in {MAX_POLLS} requests")


def test_a_revoked_token_is_refused_by_every_worker_within_seconds(workers: Workers) -> None:
    for _ in range(10):  # both workers now remember the token
        assert workers.get("/api/v1/users/me", "tina").status_code == 200
    with Store.open(workers.db) as store:
        (token,) = store.list_tokens("tina")
        store.revoke_token(token.id)  # as the CLI on the server's machine does
    refused_in_a_row(workers, "/api/v1/users/me", "tina", 401)


def test_a_removed_role_is_refused_by_every_worker_within_seconds(workers: Workers) -> None:
    for _ in range(10):
        assert workers.get("/api/v1/applications/shop", "rita").status_code == 200
    with Store.open(workers.db) as store:
        store.revoke_role("rita", "dev")
    refused_in_a_row(workers, "/api/v1/applications/shop", "rita", 403)


def test_the_login_limit_counts_the_failures_of_every_worker(workers: Workers) -> None:
    def login(password: str) -> httpx2.Response:
        body = {"user": "lola", "password": password}
        return httpx2.post(f"{workers.url}/api/v1/login", json=body, timeout=30)

    for _ in range(5):
        assert login("wrong").status_code == 401
    for _ in range(4):  # whichever worker answers, and with the right password too
        assert login(PASSWORD).status_code == 429


def signed(secret: str, body: bytes) -> dict[str, str]:
    stamp, nonce = str(int(time.time())), uuid.uuid4().hex
    return {
        "Content-Type": "application/json",
        "X-Kapstan-Timestamp": stamp,
        "X-Kapstan-Nonce": nonce,
        "X-Kapstan-Signature": sign(secret, stamp, nonce, "POST", "/api/v1/hooks/shop", body),
    }


def at_once(url: str, body: bytes, headers: list[dict[str, str]]) -> list[int]:
    """POST each set of headers from its own thread and connection, all released together."""
    start = threading.Barrier(len(headers))
    codes: list[int] = []

    def send(these: dict[str, str]) -> None:
        with httpx2.Client(timeout=60) as client:
            client.get(f"{url}/healthz")  # connected before the barrier
            start.wait(30)
            codes.append(
                client.post(f"{url}/api/v1/hooks/shop", content=body, headers=these).status_code
            )

    threads = [threading.Thread(target=send, args=(h,)) for h in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return sorted(codes)


def test_copies_of_one_webhook_sent_at_once_are_applied_once(workers: Workers) -> None:
    made = workers.replica.client.post("/api/v1/applications/shop/webhook")
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    body = json.dumps({"set": {"api.image.tag": "7.1"}}).encode()
    headers = signed(secret, body)
    assert at_once(workers.url, body, [headers] * COPIES) == [200] + [409] * (COPIES - 1)
    fresh = [signed(secret, body) for _ in range(COPIES)]  # new nonces, the same body
    assert at_once(workers.url, body, fresh) == [409] * COPIES
    with Store.open(workers.db) as store:
        accepted = [e for e in store.list_audit(limit=100) if e.action == "webhook.accept"]
        assert len(accepted) == 1
        assert store.get_config("dev").values["api.image.tag"] == "7.1"


def test_two_worker_processes_served(workers: Workers) -> None:
    log = workers.replica.log.read_text()
    assert log.count("Started server process") == 2, log[-2000:]
