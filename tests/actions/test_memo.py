"""Parsed templates are kept per content (never per name@version alone), in a bounded cache."""

from __future__ import annotations

from pathlib import Path

from kapstan.actions import templates
from kapstan.actions.memo import Lru
from kapstan.actions.refs import Ref
from kapstan.store import Store
from kapstan.store.crypto import KEY_VARIABLE, generate_key
from kapstan.templates.loader import parse_template, read_template_dir
from tests.actions.conftest import BOOKSTORE


def _store(path: Path) -> Store:
    return Store.open(f"sqlite:///{path}", environ={KEY_VARIABLE: generate_key()})


def test_a_version_is_parsed_once_and_equals_a_fresh_parse(store: Store) -> None:
    templates.import_template(store, BOOKSTORE, author="ana")
    first = templates.load_template(store, Ref("bookstore", 1)).template
    again = templates.load_template(store, Ref("bookstore", None)).template
    assert again is first
    assert first == parse_template(read_template_dir(BOOKSTORE))


def test_two_stores_with_one_name_and_version_keep_their_own_content(tmp_path: Path) -> None:
    files = read_template_dir(BOOKSTORE)
    changed = {**files, "kapstan.yaml": files["kapstan.yaml"] + "\n# another team's\n"}
    # The same name, version and (wrongly) digest in both: only the content tells them apart.
    with _store(tmp_path / "a.db") as a, _store(tmp_path / "b.db") as b:
        a.save_template_version("bookstore", files, "same", author="ana")
        b.save_template_version("bookstore", changed, "same", author="ana")
        one = templates.load_template(a, Ref("bookstore", 1)).template
        other = templates.load_template(b, Ref("bookstore", 1)).template
    assert dict(one.files) == files and dict(other.files) == changed


def test_the_cache_keeps_at_most_its_entries_and_weight_least_recently_used_out() -> None:
    made: list[str] = []

    def make(key: str) -> str:
        made.append(key)
        return key * 10

    cache: Lru[str, str] = Lru(max_entries=2, max_weight=25, weigh=len)
    assert cache.get("a", lambda: make("a")) == "a" * 10
    assert cache.get("b", lambda: make("b")) == "b" * 10
    assert cache.get("a", lambda: make("a")) == "a" * 10  # a hit: "a" is now the newest
    cache.get("c", lambda: make("c"))  # over 2 entries: "b", the least recently used, goes
    assert len(cache) == 2
    cache.get("a", lambda: make("a"))
    cache.get("b", lambda: make("b"))
    assert made == ["a", "b", "c", "b"]
    assert cache.get("big", lambda: "x" * 26) == "x" * 26  # heavier than the budget: not kept
    assert len(cache) == 2
