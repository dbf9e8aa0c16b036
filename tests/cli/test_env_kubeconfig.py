"""Bad input is named at the first command that sees it (issue 12, finding 8): a kubeconfig
``env create`` cannot use, an unknown ``--context``, a ``--db`` in a folder that cannot be
made. Each is a one-line error and exit code 1, never a traceback, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run

GOOD = """\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}, {name: other, context: {cluster: c}}]
current-context: ctx
"""
WITHOUT = {
    section: "\n".join(line for line in GOOD.splitlines() if not line.startswith(section)) + "\n"
    for section in ("clusters", "users", "contexts")
}

# (kubeconfig text, --context, what the error must say)
CASES = {
    "no contexts": (WITHOUT["contexts"], None, "has no 'contexts' section"),
    "no clusters": (WITHOUT["clusters"], None, "has no 'clusters' section"),
    "no users": (WITHOUT["users"], None, "has no 'users' section"),
    "only the header": ("apiVersion: v1\nkind: Config\n", None, "has no 'clusters' section"),
    "not a mapping": ("- clusters\n- contexts\n", None, "its top level is a list"),
    "a string": ("just some text\n", None, "its top level is a string"),
    "not YAML": ("clusters: [\n", None, "YAML syntax error"),
    "empty": ("", None, "is empty"),
    "a section not a list": (
        GOOD.replace("users: [{name: u, user: {token: t}}]", "users: 5"),
        None,
        "'users' of kubeconfig",
    ),
    "an unknown --context": (GOOD, "prod", "context 'prod' is not in kubeconfig"),
    "an unknown current-context": (
        GOOD.replace("current-context: ctx", "current-context: gone"),
        None,
        "the current-context 'gone' is not in",
    ),
    "a context without its cluster": (
        GOOD.replace("{cluster: c}}", "{cluster: nope}}"),
        "other",
        "names cluster 'nope', which it does not define",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_env_create_names_what_is_wrong_with_the_kubeconfig(
    kapstan: Run, tmp_path: Path, case: str
) -> None:
    text, context, expected = CASES[case]
    path = tmp_path / "kubeconfig"
    path.write_text(text)
    extra = ("--context", context) if context else ()
    result = kapstan("env", "create", "dev", "--kubeconfig", path, "--namespace", "shop", *extra)
    assert result.code == 1, result.out
    assert expected in result.err and str(path) in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert kapstan("env", "list", "-o", "json").json() == []  # nothing half-made


def test_the_unknown_context_error_lists_the_known_ones(kapstan: Run, tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(GOOD)
    result = kapstan(
        "env", "create", "dev", "--kubeconfig", path, "--namespace", "shop", "--context", "prod"
    )
    assert result.err.strip().endswith("it has: ctx, other")
    assert (
        kapstan(
            "env",
            "create",
            "dev",
            "--kubeconfig",
            path,
            "--namespace",
            "shop",
            "--context",
            "other",
        ).code
        == 0
    )


def test_env_clone_checks_a_new_context_too(kapstan: Run, tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(GOOD)
    assert kapstan("env", "create", "dev", "--kubeconfig", path, "--namespace", "shop").code == 0
    cloned = kapstan("env", "clone", "dev", "qa", "--context", "prod")
    assert cloned.code == 1 and "context 'prod' is not in kubeconfig" in cloned.err
    assert [e["name"] for e in kapstan("env", "list", "-o", "json").json()] == ["dev"]


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_a_db_in_a_folder_that_cannot_be_made_is_named(
    kapstan: Run, tmp_path: Path, where: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    db = blocker / "sub" / "kapstan.db" if where == "under-a-file" else Path("/proc/kapstan/k.db")
    result = kapstan("--db", db, "env", "list")
    assert result.code == 1
    assert f"cannot create the folder {db.parent} for the store {db}" in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert not blocker.with_name("sub").exists() and blocker.read_text() == "not a folder"


def test_a_db_that_is_a_folder_is_named(kapstan: Run, tmp_path: Path) -> None:
    result = kapstan("--db", tmp_path, "env", "list")
    assert result.code == 1 and f"the store path {tmp_path} is a folder" in result.err
