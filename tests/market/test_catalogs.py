"""Catalogs: the index, finding templates, and extra catalogs from a directory or git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.market import catalog as market
from kapstan.market.catalogs import Catalog, find_template, templates_of
from kapstan.market.index import IndexEntry, parse_index, readme_summary
from kapstan.market.registry import MarketPaths
from kapstan.market.sources import is_git_source
from tests.market.conftest import bare_repository, write_catalog


def test_index_entries_and_their_errors() -> None:
    text = "templates:\n  pg:\n    description: A database\n    secrets: [pg.password]\n  x:\n"
    assert parse_index(text, "market.yaml") == {
        "pg": IndexEntry("A database", ("pg.password",)),
        "x": IndexEntry(),
    }
    for bad, says in [
        ("nope: 1\n", "one field, 'templates'"),
        ("templates: [a]\n", "map template names"),
        ("templates:\n  a: {descr: x}\n", "template 'a': unknown field 'descr'"),
        ("templates:\n  a: {secrets: [not a key]}\n", "secrets must be a list of config keys"),
        ("templates: {a: [\n", "not valid YAML"),
    ]:
        with pytest.raises(InputError, match=says):
            parse_index(bad, "market.yaml")


def test_readme_summary_is_the_first_line_without_heading_marks() -> None:
    assert readme_summary("\n\n## Hello: world  \nmore") == "Hello: world"
    assert readme_summary("") == ""


def test_a_catalog_without_index_lists_template_directories_described_by_readme(
    tmp_path: Path,
) -> None:
    root = write_catalog(tmp_path / "cat")
    (root / "not-a-template").mkdir()
    [entry] = templates_of(Catalog("extra", root, str(root)))
    assert (entry.name, entry.description, entry.qualified) == (
        "hello",
        "Hello: the smallest template",
        "extra/hello",
    )


def test_an_index_naming_a_missing_template_is_refused(tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "cat", index="templates:\n  ghost: {description: boo}\n")
    with pytest.raises(InputError, match="template 'ghost' has no directory"):
        templates_of(Catalog("extra", root, str(root)))


def test_find_template_by_name_by_qualified_name_and_with_hints(tmp_path: Path) -> None:
    one = Catalog("one", write_catalog(tmp_path / "one"), "one")
    two = Catalog("two", write_catalog(tmp_path / "two"), "two")
    builtin = market.all_catalogs(MarketPaths(tmp_path / "none.json", tmp_path))[0]
    assert find_template("redis", [builtin, one]).catalog == "kapstan"
    assert find_template("two/hello", [builtin, one, two]).catalog == "two"
    with pytest.raises(InputError, match="several catalogs; name one of: one/hello, two/hello"):
        find_template("hello", [one, two])
    with pytest.raises(NotFoundError, match="did you mean 'postgresql'"):
        find_template("postgres", [builtin])
    with pytest.raises(NotFoundError, match="no market catalog 'three'"):
        find_template("three/hello", [one, two])


def test_add_a_directory_list_it_and_remove_it_leaving_the_directory(
    tmp_path: Path, market_paths: MarketPaths
) -> None:
    root = write_catalog(tmp_path / "mine", index="templates:\n  hello: {description: Hi}\n")
    added = market.add_catalog("mine", str(root))
    assert added == Catalog("mine", root.resolve(), str(root.resolve()))
    listed = [(t.catalog, t.name, t.description) for t in market.list_templates()]
    assert ("mine", "hello", "Hi") in listed and ("kapstan", "demo-shop") in [e[:2] for e in listed]
    saved = json.loads(market_paths.registry.read_text())
    assert saved["catalogs"][0]["name"] == "mine"
    with pytest.raises(ConflictError, match="'mine' exists already"):
        market.add_catalog("mine", str(root))
    assert market.remove_catalog("mine").name == "mine"
    assert root.joinpath("hello", "kapstan.yaml").is_file(), "a user's directory is never deleted"
    assert [c.name for c in market.all_catalogs()] == ["kapstan"]


def test_add_a_git_repository_clones_it_and_remove_deletes_the_clone(
    tmp_path: Path, market_paths: MarketPaths
) -> None:
    bare = bare_repository(tmp_path)
    url = bare.as_uri()
    added = market.add_catalog("remote", url)
    assert added.source == url and added.path == market_paths.clones / "remote"
    assert (added.path / "hello" / "kapstan.yaml").is_file()
    info = market.show_template("remote/hello")
    assert [v.key for v in info.variables] == ["hello.image.tag", "hello.replicas"]
    market.remove_catalog("remote")
    assert not added.path.exists()


def test_bad_sources_and_names_are_refused_and_nothing_is_registered(
    tmp_path: Path, market_paths: MarketPaths
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no template"):
        market.add_catalog("empty", str(empty))
    with pytest.raises(InputError, match="neither a directory nor a git URL"):
        market.add_catalog("gone", str(tmp_path / "gone"))
    with pytest.raises(InputError, match=r"git clone .* failed"):
        market.add_catalog("nogit", (tmp_path / "missing.git").as_uri())
    with pytest.raises(InputError, match="must be a DNS label"):
        market.add_catalog("Bad_Name", str(empty))
    with pytest.raises(ConflictError):
        market.add_catalog("kapstan", str(empty))
    with pytest.raises(NotFoundError, match="no registered market catalog 'nope'"):
        market.remove_catalog("nope")
    assert not market_paths.registry.exists()
    assert not (market_paths.clones / "nogit").exists()


def test_git_sources_are_told_from_directories() -> None:
    for url in ("https://h/x.git", "git@h:o/r", "file:///tmp/r", "ssh://h/r", "/srv/r.git"):
        assert is_git_source(url), url
    assert not is_git_source("/srv/templates")
