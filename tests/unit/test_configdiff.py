from __future__ import annotations

from kapstan.model.values import SecretValue, Value
from kapstan.plan.configdiff import ConfigDiff, KeyChange, diff_configs, format_config_diff

OLD: dict[str, Value] = {
    "a": 1,
    "b": "x",
    "s": SecretValue("p"),
    "t": SecretValue("q"),
    "gone": True,
    "flag": 1,
}
NEW: dict[str, Value] = {
    "a": 2,
    "b": "x",
    "s": SecretValue("p2"),
    "t": SecretValue("q"),
    "new": None,
    "ns": SecretValue("z"),
    "flag": True,
}


def test_diff_groups_keys() -> None:
    diff = diff_configs(OLD, NEW)
    assert [c.key for c in diff.added] == ["new", "ns"]
    assert diff.removed == (KeyChange("gone", True, None),)
    assert [c.key for c in diff.changed] == ["a", "flag", "s"]  # 1 -> True is a change; t is equal
    assert diff.changed[2].secret


def test_format_golden_with_secrets_redacted() -> None:
    text = format_config_diff(diff_configs(OLD, NEW))
    assert text == (
        "+ new = null\n"
        "+ ns = <redacted>\n"
        "- gone = true\n"
        "~ a: 1 -> 2\n"
        "~ flag: 1 -> true\n"
        "~ s: <redacted> -> <redacted>  (secret changed)\n"
    )
    for plain in ("p2", "z", "q"):
        assert f" {plain}" not in text


def test_empty_diff() -> None:
    diff = diff_configs(OLD, dict(OLD))
    assert diff == ConfigDiff((), (), ())
    assert diff.empty
    assert format_config_diff(diff) == "no changes\n"
