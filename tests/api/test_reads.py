"""The read endpoints the store now pages and batches answer as the one-by-one reads did.

The reference is computed here the way the server used to: every application listed, each
environment's ``view`` checked, the search made in memory, each app's config read whole.
"""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.api.keys import AUTO_DEPLOY_KEY
from kapstan.errors import ForbiddenError
from kapstan.model.values import SecretValue
from kapstan.store import Application, Store
from tests.api.conftest import Api

USERS = ("root", "dana", "paul", "vic", "olga")


@pytest.fixture
def many(api: Api) -> Api:
    """20 more apps over dev, staging, prod and other; some pinned, one config auto-deploys."""
    store = api.store
    store.create_config(
        "other", {"db.password": SecretValue("other-pw"), AUTO_DEPLOY_KEY: "true"}, author="setup"
    )
    store.add_config_version("staging", {"db.password": SecretValue("pw2")}, author="setup")
    for i in range(20):
        env = ("dev", "staging", "prod", "other")[i % 4]
        store.create_application(
            f"app-{i:02d}",
            template="shop",
            template_version=1,
            environment=env,
            config="other" if env == "other" else env,
            config_version=1 if i % 3 == 0 else None,
        )
    return api


def viewable(store: Store, user: str) -> list[Application]:
    allowed = set()
    for env in store.list_environments():
        try:
            store.check_permission(user, env.name, "view")
        except ForbiddenError:
            continue
        allowed.add(env.name)
    return [a for a in store.list_applications() if a.environment in allowed]


def expected_item(store: Store, app: Application) -> dict[str, Any]:
    config = store.get_config(app.config, app.config_version)
    return {
        "name": app.name,
        "environment": app.environment,
        "configVersion": app.config_version,
        "effectiveConfigVersion": config.version,
        "autoDeploy": config.values.get(AUTO_DEPLOY_KEY) == "true",
    }


def shown(item: dict[str, Any]) -> dict[str, Any]:
    return {
        k: item[k]
        for k in ("name", "environment", "configVersion", "effectiveConfigVersion", "autoDeploy")
    }


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("q", [None, "APP-1", "staging", "shop", "%", "zzz"])
def test_every_page_of_the_list_is_the_reference_s(many: Api, user: str, q: str | None) -> None:
    store = many.store
    text = (q or "").lower()
    wanted = [
        a
        for a in viewable(store, user)
        if not q or any(text in f for f in (a.name, a.template, a.environment, a.config))
    ]
    for limit, offset in ((7, 0), (7, 7), (7, 14), (7, 21), (500, 0), (3, 100)):
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if q is not None:
            params["q"] = q
        page = many.get("/api/v1/applications", user=user, params=params).json()
        chosen = wanted[offset : offset + limit]
        assert [shown(i) for i in page["items"]] == [expected_item(store, a) for a in chosen]
        assert (page["total"], page["limit"], page["offset"]) == (len(wanted), limit, offset)
        end = offset + len(chosen)
        assert page["next"] == (end if end < len(wanted) else None)


def test_one_application_answers_as_the_list_does(many: Api) -> None:
    for app in many.store.list_applications():
        one = many.get(f"/api/v1/applications/{app.name}").json()
        assert shown(one) == expected_item(many.store, app)
        assert one["services"] == ["db", "api", "web"]


@pytest.mark.parametrize(
    ("user", "config", "status", "refused_in"),
    [
        ("root", "other", 200, None),
        ("olga", "other", 200, None),  # olga views "other", the only environment using it
        ("dana", "other", 403, "other"),
        ("paul", "staging", 403, "staging"),
        ("dana", "staging", 200, None),
        ("vic", "dev", 200, None),
        ("vic", "prod", 403, "prod"),
    ],
)
def test_a_config_is_checked_on_every_environment_using_it(
    many: Api, user: str, config: str, status: int, refused_in: str | None
) -> None:
    answer = many.get(f"/api/v1/configs/{config}", user=user)
    assert answer.status_code == status, answer.text
    if refused_in is not None:
        message = answer.json()["error"]["message"]
        assert f"user {user!r} may not view in environment {refused_in!r}" in message


def test_a_config_used_through_an_app_only_is_checked_there(many: Api) -> None:
    store = many.store
    store.create_config("scratch", {"a": 1}, author="setup")
    store.create_application(
        "odd",
        template="shop",
        template_version=1,
        environment="prod",
        config="scratch",
        config_version=None,
    )
    assert many.get("/api/v1/configs/scratch", user="paul").status_code == 200
    refused = many.get("/api/v1/configs/scratch", user="vic")
    assert refused.status_code == 403 and "'prod'" in refused.json()["error"]["message"]
    assert many.get("/api/v1/configs/ghost", user="vic").status_code == 404
