"""Random trees of symbolic links in a template folder (#12 finding 5): reading it either
returns only text from inside the folder or refuses a link by name; never a traceback, never
a byte from outside. ``check_links`` (the catalogs' check) agrees on the same trees.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from kapstan.errors import InputError
from kapstan.templates.folders import check_links
from kapstan.templates.loader import read_template_dir

KAPSTAN_YAML = "name: t\nservices:\n  app:\n    manifests: ['**/*.yaml']\n"
INSIDE = "# inside {}\n"
OUTSIDE = "# OUTSIDE the folder\n"

# Where a link may be placed, and what it may point at (relative to the link, or absolute).
SPOTS = ["a.yaml", "b.yaml", "sub/c.yaml", "sub/deeper/d.yaml", "linkdir", "sub/linkdir"]
TARGETS = [
    "real.yaml",
    "sub/real2.yaml",
    "sub",
    "a.yaml",
    "sub/c.yaml",
    "linkdir",
    "../outside/secret.yaml",
    "../outside",
    "../../outside/secret.yaml",
    "../t/real.yaml",
    "missing.yaml",
    "ABS:outside/secret.yaml",
    "ABS:outside",
    "ABS:t/real.yaml",
    "ABS:t/../outside/secret.yaml",
]


def _build(base: Path, links: dict[str, tuple[str, bool]]) -> Path:
    root = base / "t"
    (root / "sub" / "deeper").mkdir(parents=True)
    (base / "outside").mkdir()
    (base / "outside" / "secret.yaml").write_text(OUTSIDE)
    (root / "kapstan.yaml").write_text(KAPSTAN_YAML)
    (root / "real.yaml").write_text(INSIDE.format("real"))
    (root / "sub" / "real2.yaml").write_text(INSIDE.format("real2"))
    for spot, (target, from_root) in links.items():
        link = root / spot
        if target.startswith("ABS:"):
            pointed = str(base / target.removeprefix("ABS:"))
        else:  # relative to the link's folder, or written as if from the root
            pointed = os.path.relpath(root / target, link.parent) if from_root else target
        link.symlink_to(pointed)
    return root


def _leaves(root: Path) -> bool:
    """Does any link under root resolve outside it, or loop? (the oracle, computed apart)"""
    base = root.resolve()
    for folder, dirs, names in os.walk(root):
        for name in (*dirs, *names):
            entry = Path(folder) / name
            if entry.is_symlink():
                try:
                    target = entry.resolve()
                except RuntimeError:
                    return True  # a loop: refused too (it cannot be followed)
                if target != base and base not in target.parents:
                    return True
    return False


@settings(max_examples=50, deadline=None)
@given(
    links=st.dictionaries(
        st.sampled_from(SPOTS), st.tuples(st.sampled_from(TARGETS), st.booleans()), max_size=4
    )
)
def test_a_template_folder_never_yields_text_from_outside(
    tmp_path_factory: pytest.TempPathFactory, links: dict[str, tuple[str, bool]]
) -> None:
    root = _build(tmp_path_factory.mktemp("links"), links)
    leaves = _leaves(root)
    try:
        files = read_template_dir(root)
    except InputError as err:
        event("refused")
        message = str(err)
        assert "symbolic link" in message or "not a regular file" in message or "cannot" in message
        assert "OUTSIDE" not in message
    else:
        event("read")
        assert all("OUTSIDE" not in text for text in files.values())
    if leaves:
        with pytest.raises(InputError, match=r"symbolic link to .* leaves|cannot follow"):
            check_links(root)
    else:
        check_links(root)
