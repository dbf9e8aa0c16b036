"""The API shows checksums of a weak secret keyed by the store's key (issue 12, #3): the
render endpoint here; the plan and the live Deployment on the sandbox in test_cluster."""

from __future__ import annotations

from kapstan.actions.rendering import render_application
from tests.api.conftest import Api
from tests.secretdigests import checksums, unkeyed_digests

WEAK = "hunter2"


def set_weak_secret(api: Api, app: str) -> None:
    body = {"values": {"db.password": WEAK}, "secret": True}
    assert api.post("/api/v1/configs/dev/values", body).status_code == 200
    assert api.patch(f"/api/v1/applications/{app}", {}).status_code == 200


def weak_guesses(api: Api, app: str, service: str = "api") -> set[str]:
    """Unkeyed digests of the weak secret for ``service`` as rendered now."""
    objects = render_application(api.store, app).rendered.services[service].objects
    return unkeyed_digests(WEAK, objects, app, service)


def test_render_endpoint_shows_no_unkeyed_digest_of_a_weak_secret(api: Api) -> None:
    set_weak_secret(api, "shop")
    answer = api.get("/api/v1/applications/shop/render")
    assert answer.status_code == 200, answer.text
    (entry,) = [e for e in answer.json() if e["service"] == "api"]
    guesses = weak_guesses(api, "shop")
    found = checksums(entry["objects"])
    assert found and not guesses & {entry["hash"], *found}
    assert not [g for g in guesses if g in answer.text]
