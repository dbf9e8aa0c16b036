"""Config versions: numbering, snapshots, types, immutability, not-found messages."""

from __future__ import annotations

import pytest

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.model.values import SecretValue
from kapstan.store import Store


def test_create_then_versions_numbered_one_to_n(store: Store) -> None:
    first = store.create_config("dev", {"replicas": 1}, author="ana", message="start")
    second = store.add_config_version("dev", {"replicas": 2}, author="bob", message="scale")
    third = store.add_config_version("dev", {"replicas": 3, "tag": "v3"}, author="ana")
    assert [first.version, second.version, third.version] == [1, 2, 3]
    history = store.config_history("dev")
    assert history == [first, second, third]
    assert [(c.author, c.message) for c in history] == [
        ("ana", "start"),
        ("bob", "scale"),
        ("ana", ""),
    ]


def test_every_version_is_a_full_snapshot_that_never_changes(store: Store) -> None:
    store.create_config("dev", {"replicas": 1, "tag": "v1"}, author="ana")
    store.add_config_version("dev", {"tag": "v2"}, author="ana")
    assert store.get_config("dev", 1).values == {"replicas": 1, "tag": "v1"}
    assert store.get_config("dev").values == {"tag": "v2"}
    read = store.get_config("dev", 1)
    dict(read.values).clear()
    assert store.get_config("dev", 1) == read


def test_values_keep_their_types(store: Store) -> None:
    values = {"i": 3, "f": 1.5, "t": True, "n": None, "s": "3", "empty": "", "u": "ünï"}
    saved = store.create_config("dev", values, author="ana")
    read = store.get_config("dev")
    assert read == saved
    assert read.values == values
    assert [type(read.values[k]) for k in ("i", "f", "t", "n", "s")] == [
        int,
        float,
        bool,
        type(None),
        str,
    ]


def test_create_twice_is_a_conflict(store: Store) -> None:
    store.create_config("dev", {"a": 1}, author="ana")
    with pytest.raises(ConflictError, match="config 'dev' exists already"):
        store.create_config("dev", {"a": 2}, author="ana")
    assert [c.version for c in store.config_history("dev")] == [1]


def test_not_found_messages(store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"^config 'dev' not found$"):
        store.add_config_version("dev", {}, author="ana")
    with pytest.raises(NotFoundError, match=r"^config 'dev' not found$"):
        store.get_config("dev")
    store.create_config("dev", {}, author="ana")
    store.add_config_version("dev", {}, author="ana")
    with pytest.raises(NotFoundError, match=r"^config 'dev' has no version 7 \(latest is 2\)$"):
        store.get_config("dev", 7)


def test_list_configs_shows_latest_of_each(store: Store) -> None:
    store.create_config("prod", {"a": 1}, author="ana")
    store.create_config("dev", {"a": 1}, author="ana")
    store.add_config_version("dev", {"a": 2}, author="ana")
    assert [(c.name, c.version) for c in store.list_configs()] == [("dev", 2), ("prod", 1)]


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"a": [1]}, "key 'a': a value must be"),
        ({"a": float("nan")}, "not a finite number"),
        ({"": 1}, "empty key"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(
    store: Store, values: dict[str, object], match: str
) -> None:
    with pytest.raises(InputError, match=match):
        store.create_config("dev", values, author="ana")  # type: ignore[arg-type]
    assert store.list_configs() == []


def test_a_secret_round_trips_as_a_secret(store: Store) -> None:
    store.create_config("dev", {"password": SecretValue("s3cr3t"), "user": "app"}, author="ana")
    value = store.get_config("dev").values["password"]
    assert isinstance(value, SecretValue)
    assert value.reveal() == "s3cr3t"
    assert "s3cr3t" not in repr(store.get_config("dev"))


def test_an_edit_from_a_stale_version_is_refused_instead_of_losing_a_change(store: Store) -> None:
    store.create_config("dev", {"replicas": 1}, author="ana")
    store.add_config_version("dev", {"replicas": 2}, author="bob", expected_version=1)
    with pytest.raises(ConflictError, match=r"version 2 was saved by bob after version 1"):
        store.add_config_version(
            "dev", {"replicas": 1, "tag": "v2"}, author="ana", expected_version=1
        )
    assert store.get_config("dev").version == 2
