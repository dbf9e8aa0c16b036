"""CLI conventions kubectl and helm users expect (issue 16): durations, short flags,
global options in either position, --version, exit codes, secrets off the command line."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import typer
from typer.core import TyperCommand

from kapstan.cli.exitcodes import MEANINGS, ExitCode
from kapstan.cli.main import app as root
from tests.cli.conftest import Result, Run


def _leaves() -> list[tuple[str, TyperCommand]]:
    found: list[tuple[str, TyperCommand]] = []

    def walk(command: object, path: str) -> None:
        children = getattr(command, "commands", None)
        if children is None:
            found.append((path, command))  # type: ignore[arg-type]
            return
        for name, sub in children.items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(root), "")
    return found


def _flags(command: TyperCommand) -> dict[str, list[str]]:
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
    timeouts = [p for p, c in _leaves() if any("--timeout" in o for o in _flags(c).values())]
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
    made = kapstan(
        "env", "create", "dev", "--kubeconfig", kubeconfig, "-n", "shop", "--config", "dev"
    )
    assert made.code == 0, made.err
    assert "namespace shop" in made.out
    app = kapstan("app", "create", "shop", "--template", "bookstore", "-e", "dev")
    assert app.code == 0, app.err
    for listing in (("audit", "list"), ("approval", "list")):
        assert kapstan(*listing, "-e", "dev", "-o", "json").code == 0, listing


# --- global options in either position, --version, completion ---------------------------


def test_global_options_after_the_command(kapstan: Run, db_url: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert kapstan("config", "set", "elsewhere", "a=1", "--db", other).code == 0
    there = _ok(kapstan("config", "list", "--db", other, "-o", "json")).json()
    assert [c["name"] for c in there] == ["elsewhere"]
    assert _ok(kapstan("config", "list", "-o", "json")).json() == []  # $KAPSTAN_DB untouched
    # Given both places, the one after the command wins.
    both = _ok(kapstan("--db", db_url, "config", "list", "--db", other, "-o", "json"))
    assert [c["name"] for c in both.json()] == ["elsewhere"]
    # --server after the command is taken too (and --db with it is refused, as before it).
    mixed = kapstan("--db", other, "config", "list", "--server", "http://127.0.0.1:9")
    assert mixed.code == ExitCode.USAGE and "not both" in mixed.err
    remote = kapstan("app", "list", "--server", "http://127.0.0.1:9", "--token", "t")
    assert remote.code == 1 and "http://127.0.0.1:9" in remote.err, remote.err


def test_output_before_the_command(kapstan: Run) -> None:
    assert kapstan("config", "set", "dev", "a=1").code == 0
    listed = _ok(kapstan("-o", "json", "config", "list"))
    assert [c["name"] for c in listed.json()] == ["dev"]
    assert _ok(kapstan("-o", "json", "config", "list", "-o", "yaml")).out.startswith("- ")
    # A command whose -o takes other formats keeps its own default.
    assert kapstan("-o", "json", "secret-key", "generate").code == 0


def test_version_from_the_package_metadata(kapstan: Run) -> None:
    shown = _ok(kapstan("--version"))
    assert shown.out == f"kapstan {version('kapstan')}\n"


def test_shell_completion_script_is_available(kapstan: Run) -> None:
    script = _ok(kapstan("--show-completion", "bash"))
    assert "_KAPSTAN_COMPLETE=complete_bash" in script.out


def test_a_usage_error_has_its_own_code_never_the_changes_code(kapstan: Run) -> None:
    for argv in (("app", "list", "--bogus"), ("no-such-command",), ("app", "plan")):
        result = kapstan(*argv)
        # mypy sees two members; an enum alias (same value) would make them one: checked here
        assert result.code == ExitCode.USAGE != ExitCode.CHANGES, argv  # type: ignore[comparison-overlap]


def _ok(result: Result) -> Result:
    assert result.code == 0, result.err
    return result


def test_every_command_takes_the_global_options() -> None:
    for path, command in _leaves():
        opts = {o for flags in _flags(command).values() for o in flags}
        assert {"--db", "--server", "--token"} <= opts, path


def test_every_exit_code_is_explained_and_in_the_readme() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert set(MEANINGS) == set(ExitCode)
    for code in ExitCode:
        assert f"\n| {int(code)} | " in readme, code


def test_no_command_has_two_parameters_of_one_name() -> None:
    """The CLI library keeps values by name: a command's own TOKEN or SERVER argument
    (``token revoke``, ``login``) must not share it with the global --token/--server."""
    for path, command in _leaves():
        names = [p.name for p in command.params]
        assert len(names) == len(set(names)), (path, names)


def test_an_argument_named_like_a_global_option_is_the_argument(kapstan: Run) -> None:
    revoked = kapstan("token", "revoke", "12")
    assert revoked.code == 1 and "no token '12'" in revoked.err, revoked.err
