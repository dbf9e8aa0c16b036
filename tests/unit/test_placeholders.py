from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapstan.errors import TemplateError
from kapstan.model.manifest import Placeholder
from kapstan.render import placeholders


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", ["plain"]),
        ("${a}", [Placeholder("a", None, 1, 1)]),
        ("${a.b-c.d_e}", [Placeholder("a.b-c.d_e", None, 1, 1)]),
        ("x${a:-3}y", ["x", Placeholder("a", "3", 1, 2), "y"]),
        ("${a:-}", [Placeholder("a", "", 1, 1)]),
        ("${a:-x y:z}", [Placeholder("a", "x y:z", 1, 1)]),
        ("$${a}", ["${a}"]),
        ("a$$${b}", ["a$${b}"]),
        ("$${a}${b}", ["${a}", Placeholder("b", None, 1, 6)]),
        ("${a}${b}", [Placeholder("a", None, 1, 1), Placeholder("b", None, 1, 5)]),
        ("line1\n  ${k}", ["line1\n  ", Placeholder("k", None, 2, 3)]),
        ("$5 and $ {x}", ["$5 and $ {x}"]),
    ],
)
def test_parse(text: str, expected: list[object]) -> None:
    assert placeholders.parse(text) == expected


def test_parse_offsets_positions() -> None:
    assert placeholders.parse("ab${k}", line=7, column=10) == ["ab", Placeholder("k", None, 7, 12)]


@pytest.mark.parametrize("text", ["${}", "${a", "${a b}", "${1a}", "${a.}", "x ${a:b}"])
def test_bad_placeholder_names_file_line_column(text: str) -> None:
    with pytest.raises(TemplateError) as err:
        placeholders.parse(text, where="svc.yaml", line=4, column=9)
    assert str(err.value).startswith("svc.yaml:4:")
    assert "bad placeholder" in str(err.value)


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("a", True),
        ("a.b.c", True),
        ("A_b-c.d9", True),
        ("a..b", False),
        ("9a", False),
        ("a.", False),
        ("", False),
    ],
)
def test_is_key(key: str, ok: bool) -> None:
    assert placeholders.is_key(key) is ok


@given(st.text(alphabet="ab${}:-.\n", max_size=30))
def test_escape_round_trip(text: str) -> None:
    assert placeholders.parse(placeholders.escape(text)) in ([text], [])
    assert placeholders.unescape_literal(placeholders.parse(placeholders.escape(text))) == text
