"""``kapstan config``: typed values, versions, import, diff, rollback; bad input writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kapstan.model.values import SecretValue
from kapstan.store import Store
from tests.cli.conftest import Run


def test_set_parses_yaml_scalars_and_creates_the_config(
    kapstan: Run, store: Callable[[], Store]
) -> None:
    result = kapstan(
        "config", "set", "dev", "replicas=3", "debug=true", "ratio=0.5", "tag='007'", "empty="
    )
    assert result.out == "config dev: version 1 saved\n"
    values = dict(store().get_config("dev").values)
    assert values == {"replicas": 3, "debug": True, "ratio": 0.5, "tag": "007", "empty": ""}
    assert kapstan("config", "get", "dev", "replicas", "-o", "json").json() == {
        "key": "replicas",
        "value": 3,
    }
    assert kapstan("config", "get", "dev", "replicas").out == "3\n"


def test_setting_equal_values_makes_no_version(kapstan: Run) -> None:
    kapstan("config", "set", "dev", "a=1")
    assert kapstan("config", "set", "dev", "a=1").out == "config dev: unchanged, still version 1\n"
    assert kapstan("config", "set", "dev", "a=2").out == "config dev: version 2 saved\n"


def test_secret_values_are_strings(kapstan: Run, store: Callable[[], Store]) -> None:
    kapstan("config", "set", "dev", "--secret", "pin=1234")
    value = store().get_config("dev").values["pin"]
    assert isinstance(value, SecretValue) and value.reveal() == "1234"


def test_unset_history_diff_and_rollback(kapstan: Run, store: Callable[[], Store]) -> None:
    kapstan("config", "set", "dev", "a=1", "b=x")
    kapstan("config", "set", "dev", "a=2", "-m", "bump a")
    kapstan("config", "unset", "dev", "b", "-m", "drop b")
    history = kapstan("config", "history", "dev", "-o", "json").json()
    assert [(h["version"], h["changes"], h["message"]) for h in history] == [
        (1, "+a +b", ""),
        (2, "~a", "bump a"),
        (3, "-b", "drop b"),
    ]
    assert history[0]["author"] == "tester"
    assert kapstan("config", "diff", "dev", "1", "3").out == "- b = x\n~ a: 1 -> 2\n"
    rolled = kapstan("config", "rollback", "dev", "1")
    assert rolled.out == "config dev: version 4 saved\n"
    latest = store().get_config("dev")
    assert dict(latest.values) == {"a": 1, "b": "x"} and latest.message == "rollback to version 1"
    assert kapstan("config", "get", "dev@2", "-o", "json").json()["values"] == {"a": 2, "b": "x"}


def test_import_flat_file(kapstan: Run, tmp_path: Path, store: Callable[[], Store]) -> None:
    file = tmp_path / "dev.yaml"
    file.write_text("catalog.replicas: 3\nweb.host: shop.example.com\nflag: no\n")
    kapstan("config", "set", "dev", "keep=1")
    assert kapstan("config", "import", "dev", file).code == 0
    assert dict(store().get_config("dev").values) == {
        "keep": 1,
        "catalog.replicas": 3,
        "web.host": "shop.example.com",
        "flag": False,
    }
    assert kapstan("config", "import", "dev", file, "--replace").code == 0
    assert "keep" not in store().get_config("dev").values


def test_nested_values_are_refused_naming_key_and_line(
    kapstan: Run, tmp_path: Path, store: Callable[[], Store]
) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("a: 1\ncatalog:\n  replicas: 3\n")
    result = kapstan("config", "import", "dev", file)
    assert result.code == 1
    assert f"{file}:2:1: key 'catalog' holds a map" in result.err
    file.write_text("a: 1\nhosts: [a, b]\n")
    assert f"{file}:2:1: key 'hosts' holds a list" in kapstan("config", "import", "dev", file).err
    assert store().list_configs() == []


def test_bad_config_files(kapstan: Run, tmp_path: Path, store: Callable[[], Store]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: 1\nb: [\n")
    assert f"{broken}:3:1: YAML syntax error" in kapstan("config", "import", "dev", broken).err
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"a: 1\x00")
    assert "binary file" in kapstan("config", "import", "dev", binary).err
    missing = kapstan("config", "import", "dev", tmp_path / "nope.yaml")
    assert missing.code == 1 and "cannot read" in missing.err
    assert store().list_configs() == []


def test_bad_arguments_write_nothing(kapstan: Run, store: Callable[[], Store]) -> None:
    kapstan("config", "set", "dev", "a=1")
    for args in (["novalue"], ["a b=1"], ["a=1", "a=2"], ["ok=1", "=2"]):
        result = kapstan("config", "set", "dev", *args)
        assert result.code == 1, args
    unknown = kapstan("config", "unset", "dev", "a", "zzz")
    assert unknown.code == 1 and "has no key 'zzz'" in unknown.err
    assert kapstan("config", "set", "Bad_Name", "a=1").code == 1
    assert [v.version for v in store().config_history("dev")] == [1]
    assert [c.name for c in store().list_configs()] == ["dev"]


def test_unknown_names(kapstan: Run) -> None:
    assert kapstan("config", "get", "nope").err.strip() == "error: config 'nope' not found"
    kapstan("config", "set", "dev", "a=1")
    assert "has no version 9 (latest is 1)" in kapstan("config", "diff", "dev", "1", "9").err
    assert "has no key 'b'" in kapstan("config", "get", "dev", "b").err
