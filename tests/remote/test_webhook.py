"""``kapstan app webhook NAME``: a CI secret made on the server, then a signed hook with it."""

from __future__ import annotations

import json
import time
import uuid

import httpx

from kapstan.api.flows.hooks import sign
from tests.cli.conftest import FIXTURES
from tests.remote.conftest import Cli


def test_the_secret_signs_hooks_and_is_never_shown_again(cli: Cli) -> None:
    assert cli.local("template", "import", FIXTURES / "bookstore").code == 0
    assert cli.local("config", "set", "hooked", "web.host=h.example.com").code == 0
    assert cli.local("config", "set", "hooked", "--secret", "db.password=pw").code == 0
    made = cli.remote(
        "app", "create", "hooked", "--template", "bookstore", "--env", "dev", "--config", "hooked"
    )
    assert made.code == 0, made.err

    refused = cli.remote("app", "webhook", "hooked", user="vic")
    assert refused.code == 1 and "vic" in refused.err
    local = cli.local("app", "webhook", "hooked")
    assert local.code == 1 and "needs a Kapstan server" in local.err

    result = cli.remote("app", "webhook", "hooked")
    assert result.code == 0, result.err
    secret = result.out.splitlines()[1]
    assert f"{cli.server.url}/api/v1/hooks/hooked" in result.out
    shown = cli.remote("config", "get", "hooked", "-o", "json")
    assert secret not in shown.out  # a secret key of the app's config, redacted

    body = json.dumps({"set": {"catalog.image.tag": "9.9"}}).encode()
    stamp, nonce = str(int(time.time())), uuid.uuid4().hex
    signature = sign(secret, stamp, nonce, "POST", "/api/v1/hooks/hooked", body)
    headers = {
        "X-Kapstan-Timestamp": stamp,
        "X-Kapstan-Nonce": nonce,
        "X-Kapstan-Signature": signature,
        "Content-Type": "application/json",
    }
    answer = httpx.post(f"{cli.server.url}/api/v1/hooks/hooked", content=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    got = cli.remote("config", "get", "hooked", "catalog.image.tag")
    assert got.out.strip() == "9.9"

    # As data for a CI script: a new secret (replacing the one above), printed once, only here.
    again = cli.remote("app", "webhook", "hooked", "-o", "json")
    assert again.code == 0, again.err
    made = again.json()
    assert (made["app"], made["url"]) == ("hooked", f"{cli.server.url}/api/v1/hooks/hooked")
    assert made["secret"] and made["secret"] != secret
    assert again.out.count(made["secret"]) == 1 and made["secret"] not in again.err
