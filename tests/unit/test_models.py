from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kapstan.model.changes import ServiceChange
from kapstan.model.config import ConfigVersion
from kapstan.model.revision import Revision
from kapstan.model.values import SecretValue
from kapstan.plan.diffs import diff_revisions

WHEN = datetime(2024, 5, 1, tzinfo=UTC)


def revision(number: int, manifests: str) -> Revision:
    return Revision(
        "shop",
        "catalog",
        number,
        manifests,
        f"sha256:{number}",
        "bookstore",
        1,
        "dev",
        number,
        WHEN,
        "ana",
        "m",
    )


def test_revision_diff_uses_labels() -> None:
    text = diff_revisions(revision(1, "a: 1\n"), revision(2, "a: 2\n"))
    assert text == "--- shop/catalog@1\n+++ shop/catalog@2\n@@ -1 +1 @@\n-a: 1\n+a: 2\n"


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


def test_config_version_repr_hides_secrets() -> None:
    version = ConfigVersion(
        "dev", 3, {"db.password": SecretValue("hunter2")}, "ana", WHEN, "rotate"
    )
    assert "hunter2" not in repr(version)
    with pytest.raises(AttributeError):
        version.version = 4  # type: ignore[misc]


def test_new_revision_from_rendered_service() -> None:
    from kapstan.plan.revisions import new_revision
    from kapstan.render.render import render_app
    from kapstan.templates.parser import parse_template
    from tests.unit.samples import bookstore_files

    values = {"catalog.db.url": "u", "catalog.props": "p", "db.password": SecretValue("hunter2")}
    app = render_app(parse_template(bookstore_files()), values, app="shop", namespace="dev")
    rev = new_revision(
        app.services["catalog"],
        app="shop",
        number=4,
        template=("bookstore", 2),
        config=("dev", 9),
        created_at=WHEN,
        author="ana",
    )
    assert (rev.service, rev.number, rev.hash) == ("catalog", 4, app.services["catalog"].hash)
    assert (rev.template_name, rev.template_version, rev.config_name, rev.config_version) == (
        "bookstore",
        2,
        "dev",
        9,
    )
    assert "hunter2" not in rev.manifests and "db.password: <redacted>" in rev.manifests
    assert rev.label == "shop/catalog@4"
