from __future__ import annotations

from typing import Any

import pytest

from kapstan.model.rendered import RenderedApp
from kapstan.model.values import REDACTED, SecretValue, Value
from kapstan.plan.diffs import (
    FieldChange,
    ResourceChange,
    format_structured,
    redact_objects,
    structured_diff,
    unified_diff,
    unified_diff_objects,
)
from kapstan.render.hashing import objects_yaml, service_yaml
from kapstan.render.render import render_app
from kapstan.render.resources import ResourceKey
from kapstan.templates.parser import parse_template
from tests.unit.samples import GOLDEN, bookstore_files

V: dict[str, Value] = {
    "catalog.db.url": "postgres://db/catalog",
    "catalog.props": "cache=on\n",
    "db.password": SecretValue("hunter2"),
}
CHANGED: dict[str, Value] = {
    **V,
    "catalog.image.tag": "1.2",
    "db.password": SecretValue("swordfish"),
    "catalog.db.url": "postgres://db2/catalog",
}


def rendered(values: dict[str, Value]) -> RenderedApp:
    return render_app(
        parse_template(bookstore_files()),
        values,
        app="shop",
        namespace="dev",
        hash_key=b"unit test checksum key",
    )


def test_unified_diff_golden() -> None:
    old, new = rendered(V).services["catalog"], rendered(CHANGED).services["catalog"]
    text = unified_diff(
        service_yaml(old), service_yaml(new), old_label="shop/catalog@1", new_label="shop/catalog@2"
    )
    assert text == (GOLDEN / "unified_catalog.diff").read_text()
    assert "hunter2" not in text and "swordfish" not in text


def test_unified_diff_objects_redacts() -> None:
    old, new = rendered(V).services["catalog"], rendered(CHANGED).services["catalog"]
    text = unified_diff_objects(old.objects, new.objects)
    assert text.startswith("--- old\n+++ new\n")
    assert "hunter2" not in text and "swordfish" not in text


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("a\n", "a\n", ""),
        ("a\nb\n", "a\nc\n", "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"),
        (
            "a",
            "b",
            "--- old\n+++ new\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n",
        ),
        ("", "x\n", "--- old\n+++ new\n@@ -0,0 +1 @@\n+x\n"),
    ],
)
def test_unified_diff_table(old: str, new: str, expected: str) -> None:
    assert unified_diff(old, new) == expected


def test_structured_diff_golden_and_secret_redacted() -> None:
    old, new = rendered(V).services["catalog"], rendered(CHANGED).services["catalog"]
    changes = structured_diff(old.objects, new.objects)
    text = format_structured(changes)
    assert text == (GOLDEN / "structured_catalog.txt").read_text()
    secret = next(c for c in changes if c.key.kind == "Secret")
    assert secret.fields == (FieldChange("stringData.db.password", REDACTED, REDACTED),)


def obj(kind: str, name: str, **fields: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "ns"},
        **fields,
    }


def test_structured_diff_added_removed_and_lists() -> None:
    old = [
        obj("ConfigMap", "a", data={"x": "1"}),
        obj("Service", "gone"),
        obj("Pod", "p", spec={"ports": [1, 2, 3], "c": [{"name": "m", "v": 1}]}),
    ]
    new = [
        obj("ConfigMap", "a", data={"x": "1", "y": "2"}),
        obj("Pod", "p", spec={"ports": [1, 5], "c": [{"name": "m", "v": 2}, {"name": "n"}]}),
        obj("Secret", "new", data={"k": "dg=="}),
    ]
    assert structured_diff(old, new) == [
        ResourceChange(
            ResourceKey("", "ConfigMap", "ns", "a"), "changed", (FieldChange("data.y", None, "2"),)
        ),
        ResourceChange(
            ResourceKey("", "Pod", "ns", "p"),
            "changed",
            (
                FieldChange("spec.ports[1]", 2, 5),
                FieldChange("spec.ports[2]", 3, None),
                FieldChange("spec.c[name=m].v", 1, 2),
                FieldChange("spec.c[name=n]", None, {"name": "n"}),
            ),
        ),
        ResourceChange(ResourceKey("", "Secret", "ns", "new"), "added"),
        ResourceChange(ResourceKey("", "Service", "ns", "gone"), "removed"),
    ]


def test_structured_diff_redacts_whole_secret_sections() -> None:
    old = [obj("Secret", "s")]
    new = [obj("Secret", "s", data={"k": "c2VjcmV0"}, type="Opaque")]
    [change] = structured_diff(old, new)
    assert change.fields == (
        FieldChange("data", None, {"k": REDACTED}),
        FieldChange("type", None, "Opaque"),
    )


def test_redact_objects_copies_and_leaves_others() -> None:
    secret = obj("Secret", "s", data={"a": "eA=="}, stringData={"b": "y"})
    config = obj("ConfigMap", "c", data={"a": "x"})
    redacted = redact_objects([secret, config])
    assert redacted[0]["data"] == {"a": REDACTED} and redacted[0]["stringData"] == {"b": REDACTED}
    assert redacted[1] is config
    assert secret["data"] == {"a": "eA=="}
    assert "eA==" not in objects_yaml([secret]) and "eA==" in objects_yaml([secret], redact=False)
