"""Durations as ``--timeout`` takes them: plain seconds, or Go/kubectl-style units."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapstan.errors import InputError
from kapstan.model.durations import parse_duration

GOOD = [
    ("90", 90.0),
    ("2.5", 2.5),
    ("90s", 90.0),
    ("5m", 300.0),
    ("1h", 3600.0),
    ("1h30m", 5400.0),
    ("1m30s", 90.0),
    ("1h0m5s", 3605.0),
    ("1500ms", 1.5),
    ("1.5h", 5400.0),
    (" 10s ", 10.0),
]
BAD = ["", "s", "5x", "m5", "5 m", "-5s", "1h1h", "30m1h", "5s10", "1e9", "inf", "5min", "1d"]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_durations_and_plain_seconds(text: str, expected: float) -> None:
    assert parse_duration(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", BAD)
def test_a_bad_duration_names_itself_and_the_way_out(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_duration(text)
    assert repr(text) in str(caught.value)


parts = st.tuples(*(st.one_of(st.none(), st.integers(0, 10_000)) for _ in range(3)))


@settings(max_examples=50, deadline=None)
@given(parts)
def test_any_h_m_s_text_reads_back_as_its_seconds(hms: tuple[int | None, ...]) -> None:
    text = "".join(f"{n}{u}" for n, u in zip(hms, "hms", strict=True) if n is not None)
    if not text:
        return
    expected = sum(n * f for n, f in zip(hms, (3600, 60, 1), strict=True) if n is not None)
    assert parse_duration(text) == expected


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet="0123456789.hms -+eE", max_size=12))
def test_anything_else_is_refused_by_name_never_a_traceback(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except InputError as exc:
        assert repr(text) in str(exc)
        return
    assert seconds >= 0
