"""Template versions: numbering, dedup by digest, history, not-found messages."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from kapstan.errors import InputError, NotFoundError
from kapstan.store import Store


def save(
    store: Store, name: str, digest: str, text: str = "kind: Deployment\n"
) -> tuple[int, bool]:
    saved, created = store.save_template_version(
        name, {"web/deployment.yaml": text}, digest, author="ana", message=f"save {digest}"
    )
    return saved.version, created


def test_versions_are_numbered_from_one_per_name(store: Store) -> None:
    assert save(store, "shop", "d1") == (1, True)
    assert save(store, "shop", "d2") == (2, True)
    assert save(store, "blog", "d1") == (1, True)
    assert save(store, "shop", "d3") == (3, True)


def test_same_digest_as_latest_writes_nothing(store: Store) -> None:
    save(store, "shop", "d1")
    first = store.get_template("shop")
    again, created = store.save_template_version("shop", {"x.yaml": "other"}, "d1", author="bob")
    assert (again, created) == (first, False)
    assert [t.version for t in store.template_history("shop")] == [1]


def test_digest_of_an_older_version_makes_a_new_version(store: Store) -> None:
    save(store, "shop", "d1")
    save(store, "shop", "d2")
    assert save(store, "shop", "d1") == (3, True)


def test_a_saved_version_reads_back_whole_and_never_changes(store: Store) -> None:
    files = {"web/deployment.yaml": "a: ${image}\n", "kapstan.yaml": "name: shop\n"}
    saved, _ = store.save_template_version("shop", files, "d1", author="ana", message="first")
    store.save_template_version("shop", {"other.yaml": "b"}, "d2", author="bob")
    assert store.get_template("shop", 1) == saved
    assert saved.files == files
    assert (saved.author, saved.message, saved.digest) == ("ana", "first", "d1")
    assert saved.created_at == datetime(2030, 1, 1, 0, 0, 2, tzinfo=UTC)
    with pytest.raises(dataclasses.FrozenInstanceError):
        saved.version = 9  # type: ignore[misc]


def test_get_latest_and_list_latest_per_name(store: Store) -> None:
    save(store, "shop", "d1")
    save(store, "shop", "d2")
    save(store, "blog", "b1")
    assert store.get_template("shop").version == 2
    assert [(t.name, t.version) for t in store.list_templates()] == [("blog", 1), ("shop", 2)]
    assert [t.digest for t in store.template_history("shop")] == ["d1", "d2"]


def test_not_found_messages(store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"^template 'nope' not found$"):
        store.get_template("nope")
    with pytest.raises(NotFoundError, match=r"^template 'nope' not found$"):
        store.template_history("nope")
    for digest in ("d1", "d2", "d3"):
        save(store, "shop", digest)
    with pytest.raises(NotFoundError, match=r"^template 'shop' has no version 7 \(latest is 3\)$"):
        store.get_template("shop", 7)


@pytest.mark.parametrize("name", ["Shop", "-shop", "shop-", "sh_op", "", "a" * 64])
def test_bad_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(InputError, match="template name"):
        store.save_template_version(name, {}, "d", author="ana")
    assert store.list_templates() == []


@pytest.mark.parametrize("path", ["/etc/passwd", "../up.yaml", "a/../../b", ""])
def test_file_paths_must_stay_inside_the_template(store: Store, path: str) -> None:
    with pytest.raises(InputError, match="must be relative"):
        store.save_template_version("shop", {path: "x"}, "d", author="ana")
