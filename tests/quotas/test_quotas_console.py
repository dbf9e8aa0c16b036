"""The quota in the console, without a cluster (one test, one console world): the overview
links each environment's quota; a viewer sees it without the form; an admin's bad line is
named and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import open_api
from tests.web.conftest import Console

PAGE = "/ui/environments/dev/quota"


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    for api in open_api(str(tmp_path / "kapstan.db"), tmp_path):
        api.client.cookies.clear()
        yield Console(api)


def test_the_quota_page_shows_it_and_lets_admins_change_it(console: Console) -> None:
    console.api.store.set_environment_quota("dev", {"hard": {"pods": "7"}, "applied": []})
    overview = console.get("/ui", "vic")
    assert f'href="{PAGE}"' in overview.text and "1 limit(s)" in overview.text
    seen = console.get(PAGE, "vic")
    assert seen.status_code == 200, seen.text
    assert "<td>pods</td>" in seen.text and "<td>7</td>" in seen.text
    assert 'id="quota-form"' not in seen.text and 'id="clear-quota"' not in seen.text
    admin = console.get(PAGE, "root")
    assert 'id="quota-form"' in admin.text and 'id="clear-quota"' in admin.text
    assert console.post(PAGE, "dana", {"lines": "pods=9"}).status_code == 403
    # An admin's bad line is named, and nothing is stored.
    answer = console.post(PAGE, "root", {"lines": "pods=3\nmemory=8GB"})
    assert answer.status_code in (400, 422), answer.text
    assert "line 2 (memory): &#39;8GB&#39; is not a Kubernetes quantity" in answer.text
    assert console.api.store.get_environment("dev").quota["hard"] == {"pods": "7"}
