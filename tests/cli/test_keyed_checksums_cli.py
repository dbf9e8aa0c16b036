"""`kapstan app render` shows checksums of a weak secret keyed by the store's key (issue 12, #3)."""

from __future__ import annotations

from collections.abc import Callable

from kapstan.actions.rendering import render_application
from kapstan.store import Store
from tests.cli.conftest import Run
from tests.secretdigests import checksums, unkeyed_digests

WEAK = "hunter2"


def test_app_render_shows_no_unkeyed_digest_of_a_weak_secret(
    shop: Run, store: Callable[[], Store]
) -> None:
    assert shop("config", "set", "dev", "--secret", f"db.password={WEAK}").code == 0
    assert shop("app", "update", "shop").code == 0
    shown = shop("app", "render", "shop", "-o", "json")
    assert shown.code == 0, shown.err
    text = shop("app", "render", "shop").out + shown.out
    real = render_application(store(), "shop").rendered  # the objects, secret included
    for entry in shown.json():
        if entry["service"] not in ("postgres", "catalog"):
            continue
        guesses = unkeyed_digests(
            WEAK, real.services[entry["service"]].objects, "shop", entry["service"]
        )
        found = checksums(entry["objects"])
        assert found and entry["hash"] == real.services[entry["service"]].hash
        assert not guesses & {entry["hash"], *found}, entry["service"]
        assert not [g for g in guesses if g in text]
