from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kapstan.model.changes import ServiceChange

WHEN = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (ServiceChange("a", "added", None, "h"), "a: added"),
        (
            ServiceChange("a", "changed", "h", "i", keys=("k1", "k2"), files=("f.yaml",)),
            "a: changed (keys: k1, k2; files: f.yaml)",
        ),
        (
            ServiceChange("a", "changed", "h", "i", notes=("namespace x -> y",)),
            "a: changed (namespace x -> y)",
        ),
    ],
)
def test_service_change_describe(change: ServiceChange, text: str) -> None:
    assert change.describe() == text
