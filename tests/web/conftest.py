"""The console on the API test world (``tests.api.conftest``): a session per user, in process.

Sessions are made directly in the store (``session_for``), so tests do
not pay argon2 for every user; the login form itself is tested on dana, who has a password.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kapstan.web.common import WebState
from kapstan.web.sessions import COOKIE, Session, Sessions
from tests.api.conftest import Api, open_api


@dataclass
class Console:
    api: Api

    @property
    def web(self) -> WebState:
        state = self.api.client.app.state.console  # type: ignore[attr-defined]
        assert isinstance(state, WebState)
        return state

    def session_for(self, user: str) -> Session:
        return Sessions(self.api.store).create(user)

    def get(self, path: str, user: str, **kw: Any) -> httpx2.Response:
        session = self.session_for(user)
        return self.api.client.get(
            path, headers={"Cookie": f"{COOKIE}={session.id}"}, follow_redirects=False, **kw
        )

    def post(
        self, path: str, user: str, data: dict[str, str], csrf: bool = True
    ) -> httpx2.Response:
        session = self.session_for(user)
        form = {**data, "csrf": session.csrf} if csrf else data
        return self.api.client.post(
            path, data=form, follow_redirects=False, headers={"Cookie": f"{COOKIE}={session.id}"}
        )


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    for api in open_api(str(tmp_path / "kapstan.db"), tmp_path):
        api.client.cookies.clear()
        yield Console(api)
