"""Symbolic links in market catalogs (#12 finding 5): a link leaving a folder catalog or a
git catalog is refused at ``market add`` (the clone is removed) and again whenever a
template of a registered catalog is read, naming the link and its target; nothing is saved.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kapstan.actions.install import install
from kapstan.errors import InputError
from kapstan.market import catalog as market
from kapstan.market.registry import MarketPaths
from kapstan.store import Store
from tests.market.conftest import EXTRA_MANIFEST, git, write_catalog

STOLEN = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hello}\ndata: {stolen: 'yes'}\n"


def _server_file(tmp_path: Path) -> Path:
    path = tmp_path / "server" / "private.yaml"
    path.parent.mkdir()
    path.write_text(STOLEN)
    return path


def _link(link: Path, target: str) -> None:
    link.unlink(missing_ok=True)
    link.symlink_to(target)


@pytest.mark.parametrize("kind", ["relative", "absolute"])
def test_a_folder_catalog_with_a_link_out_is_refused_at_add(
    tmp_path: Path, market_paths: MarketPaths, kind: str
) -> None:
    secret = _server_file(tmp_path)
    root = write_catalog(tmp_path / "mine")
    link = root / "hello" / "hello.yaml"
    target = os.path.relpath(secret, link.parent) if kind == "relative" else str(secret)
    _link(link, target)
    with pytest.raises(InputError) as err:
        market.add_catalog("mine", str(root))
    shown = root.resolve() / "hello" / "hello.yaml"
    assert f"{shown}: symbolic link to {target} leaves" in str(err.value)
    assert not market_paths.registry.exists()


def test_a_link_added_after_registration_is_refused_on_read_and_nothing_is_saved(
    tmp_path: Path, market_paths: MarketPaths, store: Store
) -> None:
    secret = _server_file(tmp_path)
    root = write_catalog(tmp_path / "mine")
    market.add_catalog("mine", str(root))
    store.create_environment("dev", kubeconfig="/k", context=None, namespace="dev", config=None)
    _link(root / "hello" / "hello.yaml", str(secret))
    with pytest.raises(InputError, match=f"symbolic link to {secret} leaves"):
        market.show_template("mine/hello")
    with pytest.raises(InputError, match=f"symbolic link to {secret} leaves"):
        install(store, "mine/hello", env="dev", author="ana")
    assert store.list_templates() == []
    (root / "hello" / "hello.yaml").unlink()
    (root / "hello" / "hello.yaml").write_text(EXTRA_MANIFEST)
    _link(root / "hello" / "README.md", str(secret))  # shown by `market show` and the console
    with pytest.raises(InputError, match=f"README.md: symbolic link to {secret} leaves"):
        market.list_templates()


def test_a_template_folder_linked_out_of_the_catalog_is_refused(
    tmp_path: Path, market_paths: MarketPaths
) -> None:
    elsewhere = write_catalog(tmp_path / "elsewhere") / "hello"
    root = tmp_path / "mine"
    root.mkdir()
    (root / "hello").symlink_to(elsewhere)
    with pytest.raises(InputError, match=f"symbolic link to {elsewhere} leaves"):
        market.add_catalog("mine", str(root))


def test_a_git_catalog_with_an_absolute_link_out_is_refused_and_its_clone_removed(
    tmp_path: Path, market_paths: MarketPaths
) -> None:
    secret = _server_file(tmp_path)
    work = write_catalog(tmp_path / "work")
    _link(work / "hello" / "hello.yaml", str(secret))
    git("init", "--quiet", "--initial-branch=main", cwd=work)
    git("add", ".", cwd=work)
    git("commit", "--quiet", "-m", "catalog with a link out", cwd=work)
    bare = tmp_path / "catalog.git"
    git("clone", "--quiet", "--bare", str(work), str(bare), cwd=tmp_path)
    with pytest.raises(InputError) as err:
        market.add_catalog("remote", bare.as_uri())
    clone = market_paths.clones / "remote"
    assert f"{clone / 'hello' / 'hello.yaml'}: symbolic link to {secret} leaves" in str(err.value)
    assert not clone.exists()
    assert not market_paths.registry.exists()


def test_a_catalog_template_named_otherwise_in_kapstan_yaml_is_refused(
    tmp_path: Path, market_paths: MarketPaths, store: Store
) -> None:
    root = write_catalog(tmp_path / "mine")
    (root / "hello").rename(root / "greeting")  # kapstan.yaml still says: name: hello
    market.add_catalog("mine", str(root))
    store.create_environment("dev", kubeconfig="/k", context=None, namespace="dev", config=None)
    with pytest.raises(InputError, match=r"its kapstan\.yaml names it 'hello'"):
        install(store, "mine/greeting", env="dev", author="ana")
    assert store.list_templates() == []
