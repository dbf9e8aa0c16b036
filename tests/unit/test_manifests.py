from __future__ import annotations

import json

import pytest

from kapstan.errors import TemplateError
from kapstan.render.manifests import compile_file


def one(text: str):  # type: ignore[no-untyped-def]
    [doc] = compile_file(text, "m.yaml")
    return doc


HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"


@pytest.mark.parametrize(
    ("value", "whole", "typed_default"),
    [
        ("${k}", True, None),
        ("${k:-3}", True, 3),
        ("${k:-true}", True, True),
        ("${k:-abc}", True, "abc"),
        ("${k:-}", True, ""),
        ("${k:-[1]}", True, "[1]"),
        ('"${k:-3}"', False, None),
        ("'${k}'", False, None),
        ("pre-${k:-3}", False, None),
    ],
)
def test_slot_kind(value: str, whole: bool, typed_default: object) -> None:
    doc = one(HEAD + f"data:\n  v: {value}\n")
    [site] = doc.slots
    assert site.path == ("data", "v")
    assert site.field == "data.v"
    assert site.slot.whole is whole
    assert site.slot.typed_default == typed_default
    assert type(site.slot.typed_default) is type(typed_default)


def test_skeleton_keeps_literals_and_unescapes() -> None:
    doc = one(HEAD + 'data:\n  a: "$${HOME}"\n  b: 2\n  c: "${x}"\n  d: 2024-01-01\n')
    body = json.loads(doc.skeleton)
    assert body["data"] == {"a": "${HOME}", "b": 2, "c": None, "d": "2024-01-01"}
    assert [s.path for s in doc.slots] == [("data", "c")]


def test_positions_of_placeholders() -> None:
    doc = one(HEAD + 'data:\n  a: ${one}\n  b: "x ${two}"\n  c: |\n    first\n    ${three}\n')
    found = {h.key: (h.line, h.column) for s in doc.slots for h in s.slot.placeholders}
    assert found["one"] == (6, 6)
    assert found["two"] == (7, 9)
    assert found["three"][0] == 10


def test_list_paths_and_expected_types() -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  replicas: ${r}
  template:
    spec:
      containers:
        - name: c
          ports: [{containerPort: "${p}"}]
          stdin: ${b}
"""
    doc = one(text)
    fields = {s.field: s.expect for s in doc.slots}
    assert fields == {
        "spec.replicas": "int",
        "spec.template.spec.containers[0].ports[0].containerPort": "int",
        "spec.template.spec.containers[0].stdin": "bool",
    }


def test_empty_documents_are_skipped_and_indexed() -> None:
    docs = compile_file("---\n" + HEAD + "---\n---\n" + HEAD.replace("x", "y"), "m.yaml")
    assert [(d.index, d.line) for d in docs] == [(1, 2), (3, 8)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1\nb: 2\n", "m.yaml:2:2: YAML syntax error"),
        ("a: b: c\n", "m.yaml:1:5: YAML syntax error"),
        ("- 1\n- 2\n", "m.yaml: document 1 (line 1): a manifest must be a mapping"),
        (
            "kind: ConfigMap\nmetadata: {name: x}\n",
            "m.yaml: document 1 (line 1): missing apiVersion",
        ),
        ("apiVersion: v1\nmetadata: {name: x}\n", "m.yaml: document 1 (line 1): missing kind"),
        (
            HEAD + "---\napiVersion: v1\nkind: Service\nmetadata: {}\n",
            "m.yaml: document 2 (line 6): Service without metadata.name",
        ),
        (
            "apiVersion: v1\nkind: Service\n",
            "m.yaml: document 1 (line 1): Service without metadata.name",
        ),
        (HEAD + "data:\n  ${k}: v\n", "m.yaml:6:3: placeholders are not allowed in mapping keys"),
        (HEAD + "data:\n  a: 1\n  a: 2\n", "m.yaml:7:3: duplicate key 'a'"),
        (HEAD + "data:\n  a: x ${bad key}\n", "m.yaml:6:8: bad placeholder"),
    ],
)
def test_bad_manifests_name_file_and_position(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as err:
        compile_file(text, "m.yaml")
    assert str(err.value).startswith(message), str(err.value)


def test_templated_name_counts_as_name() -> None:
    doc = one("apiVersion: v1\nkind: Service\nmetadata:\n  name: ${svc.name}\n")
    assert doc.slots[0].path == ("metadata", "name")
