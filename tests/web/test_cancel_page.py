"""The console's Cancel button: shown while an operation runs, to those who may deploy."""

from __future__ import annotations

from tests.web.conftest import Console

BUTTON = 'action="/ui/apps/shop/cancel"'


def test_cancel_button_asks_the_running_operation_to_stop(console: Console) -> None:
    assert BUTTON not in console.get("/ui/apps/shop", "dana").text  # nothing runs
    store = console.api.store
    running = store.start_operation("shop", "deploy", author="dana", services=["api"]).id
    assert BUTTON in console.get("/ui/apps/shop", "dana").text
    assert BUTTON not in console.get("/ui/apps/shop", "vic").text  # a viewer may not
    assert console.post("/ui/apps/shop/cancel", "vic", {}).status_code == 403
    answer = console.post("/ui/apps/shop/cancel", "dana", {})
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"/apps/shop/operations/{running}")
    assert store.cancel_requested(running) == "dana"
    assert [e.actor for e in store.list_audit() if e.action == "app.cancel"] == ["dana"]
