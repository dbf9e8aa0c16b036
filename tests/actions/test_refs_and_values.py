"""Parsing NAME@VERSION, key=value arguments and flat config files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.actions.configfiles import parse_assignments, read_config_file
from kapstan.actions.refs import Ref, parse_ref
from kapstan.errors import InputError
from kapstan.model.values import SecretValue


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bookstore", Ref("bookstore")),
        ("bookstore@3", Ref("bookstore", 3)),
        ("a.b@10", Ref("a.b", 10)),
    ],
)
def test_parse_ref(text: str, expected: Ref) -> None:
    assert parse_ref(text, "template") == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    "text", ["@2", "bookstore@", "bookstore@0", "bookstore@x", "b@1@2", "b@-1"]
)
def test_bad_refs(text: str) -> None:
    with pytest.raises(InputError, match="template reference"):
        parse_ref(text, "template")


def test_assignments_are_typed() -> None:
    values = parse_assignments(["n=3", "f=1.5", "b=false", "s=abc", "q='3'", "eq=a=b", "nul=null"])
    assert values == {"n": 3, "f": 1.5, "b": False, "s": "abc", "q": "3", "eq": "a=b", "nul": None}
    assert parse_assignments(["list=[1, 2]"]) == {"list": "[1, 2]"}  # not a scalar: kept as text


def test_secret_assignments_stay_text() -> None:
    values = parse_assignments(["pin=0042"], secret=True)
    assert values == {"pin": SecretValue("0042")}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["oops"], "argument 1 is not KEY=VALUE"),
        (["=1"], "argument 1 is not KEY=VALUE"),
        (["a=1", "a b=2"], "argument 2: 'a b' is not a valid config key"),
        (["a=1", "a=2"], "key 'a' is given twice"),
    ],
)
def test_bad_assignments(pairs: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_assignments(pairs)


def test_config_file(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("# comment\nweb.replicas: 2\nweb.host: 'x'\nratio: 0.5\n")
    assert read_config_file(file) == {"web.replicas": 2, "web.host": "x", "ratio": 0.5}
    file.write_text("")
    assert read_config_file(file) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb:\n  c: 2\n", ":2:1: key 'b' holds a map"),
        ("a: [1]\n", ":1:1: key 'a' holds a list"),
        ("- a\n", ":1:1: expected a map"),
        ("a: 1\na: 2\n", ":2:1: duplicate key 'a'"),
        ("a: 1\n---\nb: 2\n", "expected one YAML document, found 2"),
        ("bad key: 1\n", ":1:1: 'bad key' is not a valid config key"),
    ],
)
def test_bad_config_files(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "c.yaml"
    file.write_text(text)
    with pytest.raises(InputError, match=message):
        read_config_file(file)
