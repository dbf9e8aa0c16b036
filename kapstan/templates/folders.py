"""Reading a folder of user files: every path Kapstan follows must stay inside the folder.

A symbolic link may point anywhere. Followed out of a template folder, a market catalog (a
git clone holds whatever links its author committed) or a compose project, it reads, saves
and renders a file from elsewhere on this machine: on a server, any file the server may
read. So every file read from such a folder is resolved by ``resolve_inside`` first:

- a link whose target stays inside the folder is followed (a template may share one
  manifest between two of its folders, a catalog may alias a template);
- a link whose target leaves the folder (relative ``../..`` or absolute) is refused, with
  an error naming the link and its target; so is a path that leaves it by ``..``.

``check_links`` applies the same rule to a whole tree at once, for folders that another
program reads after us (``helm template`` follows a chart's links) and for catalogs, which
are checked when they are added, not only when a template of theirs is read.
"""

from __future__ import annotations

import os
from pathlib import Path

from kapstan.errors import InputError


def resolve_inside(root: Path, path: Path) -> Path:
    """``path`` (``root``/something) resolved; InputError if it or a link on the way leaves."""
    base = _resolved(root, root)
    target = _resolved(path, root)
    if _within(base, target):
        return target
    raise InputError(_leaving(root, path, base, target))


def check_links(root: Path) -> None:
    """Every symbolic link under ``root`` (files and folders, not followed) stays inside it."""
    for folder, dirs, names in os.walk(root):
        for name in (*dirs, *names):
            entry = Path(folder) / name
            if entry.is_symlink():
                resolve_inside(root, entry)


def _resolved(path: Path, root: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as err:  # RuntimeError: a link loop (Python 3.11)
        raise InputError(f"{path}: cannot follow its links inside {root}: {err}") from None


def _within(base: Path, target: Path) -> bool:
    return target == base or base in target.parents


def _leaving(root: Path, path: Path, base: Path, target: Path) -> str:
    """The message: the first link on the way that leaves the folder, else the path itself."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = ()
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            hop = _resolved(current, root)
            if not _within(base, hop):
                link = os.readlink(current)
                resolved = "" if link == str(hop) else f" (it points to {hop})"
                return (
                    f"{current}: symbolic link to {link} leaves {root}{resolved}; links may "
                    "only point inside the folder: copy the file in instead"
                )
    return (
        f"{path}: is outside {root} (it resolves to {target}); only files inside the "
        "folder are read: copy the file in instead"
    )
