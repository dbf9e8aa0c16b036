"""CLI conventions kubectl and helm users expect (issue 16): durations, short flags,
global options in either position, --version, exit codes, secrets off the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from kapstan.cli.main import app as root
from tests.cli.conftest import Result, Run


def _leaves() -> list[tuple[str, typer.main.TyperCommand]]:
    found: list[tuple[str, typer.main.TyperCommand]] = []

    def walk(command: object, path: str) -> None:
        children = getattr(command, "commands", None)
        if children is None:
            found.append((path, command))  # type: ignore[arg-type]
            return
        for name, sub in children.items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(root), "")
    return found


def _flags(command: typer.main.TyperCommand) -> dict[str, list[str]]:
    return {
        str(p.name): [*p.opts, *p.secondary_opts]
        for p in command.params
        if getattr(p, "param_type_name", "") == "option"
    }


# --- durations --------------------------------------------------------------------------


def test_timeout_takes_durations_and_says_which_value_is_bad(shop: Run) -> None:
    bad = shop("app", "delete", "shop", "--yes", "--timeout", "5 minutes")
    assert bad.code != 0
    assert "--timeout" in bad.err and "'5 minutes'" in bad.err and "1h30m" in bad.err
    for good in ("90s", "5m", "1h", "1h30m", "300"):
        # Parsed before anything runs: the app is then missing (no cluster is touched).
        done = shop("app", "delete", "nope", "--yes", "--timeout", good)
        assert done.code == 1 and "nope" in done.err, (good, done.err)


def test_every_timeout_option_takes_a_duration() -> None:
    timeouts = [path for path, c in _leaves() if "--timeout" in sum(_flags(c).values(), [])]
    assert len(timeouts) >= 6, timeouts
    for path, command in _leaves():
        for param in command.params:
            if "--timeout" in getattr(param, "opts", []):
                assert param.metavar == "DURATION", path  # made by common.timeout_option


# --- short flags ------------------------------------------------------------------------


def test_env_and_namespace_have_their_kubectl_short_flags_everywhere() -> None:
    for path, command in _leaves():
        flags = _flags(command)
        for opts in flags.values():
            if "--env" in opts:
                assert "-e" in opts, path
            if "--namespace" in opts:
                assert "-n" in opts, path
        shorts = [o for opts in flags.values() for o in opts if not o.startswith("--")]
        assert len(shorts) == len(set(shorts)), (path, shorts)


def test_short_flags_work(kapstan: Run, bookstore: Path, kubeconfig: Path) -> None:
    assert kapstan("template", "import", bookstore).code == 0
    assert kapstan("config", "set", "dev", "web.host=x", "catalog.replicas=1").code == 0
    assert kapstan("config", "set", "dev", "--secret", "db.password=pw").code == 0
    made = kapstan("env", "create", "dev", "--kubeconfig", kubeconfig, "-n", "shop",
                   "--config", "dev")  # fmt: skip
    assert made.code == 0, made.err
    assert "namespace shop" in made.out
    app = kapstan("app", "create", "shop", "--template", "bookstore", "-e", "dev")
    assert app.code == 0, app.err
    for listing in (("audit", "list"), ("approval", "list")):
        assert kapstan(*listing, "-e", "dev", "-o", "json").code == 0, listing


def _ok(result: Result) -> Result:
    assert result.code == 0, result.err
    return result
