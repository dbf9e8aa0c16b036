"""Global options in either position: ``kapstan --server X app list`` and ``kapstan app list
--server X`` mean the same, as kubectl's and helm's flags do.

The root command takes ``--db``, ``--server``, ``--token`` and ``-o/--output`` before the
subcommand (see ``kapstan.cli.main``). ``KapstanGroup`` adds ``--db``, ``--server`` and
``--token`` to every command as well (every command already has its own ``-o``), so the
CLI library parses them where they stand: no guessing at the command line. A value given
in both places: the one after the subcommand wins (it is the nearer to the command, and
the later on the line). Values are collected on the context's ``meta`` (shared by the
root's context and the command's) and turned into ``Settings`` once, when the command
first asks (``common.settings_of``).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from typing import Any

import typer
from typer.core import TyperGroup

from kapstan.cli.output import Format

GIVEN = "kapstan.globals"  # ctx.meta: {"db"|"server"|"token": value}, "server_from_env": bool
MADE = "kapstan.settings"  # ctx.meta: the Settings made from GIVEN (common.settings_of)
PANEL = "Global options (also before the command)"
# The carrier's parameter names: a command's own ``token`` or ``server`` argument (``token
# revoke TOKEN``, ``login SERVER``) keeps its name, click stores values by name.
PREFIX = "global_"


def remember(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """A global option given after the subcommand: it overrides the root's."""
    if value is not None and param.name:
        name = param.name.removeprefix(PREFIX)
        given: dict[str, Any] = ctx.meta.setdefault(GIVEN, {})
        given[name] = value
        if name == "server":
            given["server_from_env"] = False
        ctx.meta.pop(MADE, None)
    return value


_carrier = typer.Typer(add_completion=False)


@_carrier.command()
def _globals(
    global_db: str | None = typer.Option(
        None,
        "--db",
        metavar="URL",
        callback=remember,
        rich_help_panel=PANEL,
        help="Store URL (default: $KAPSTAN_DB, else kapstan.db in the user data directory).",
    ),
    global_server: str | None = typer.Option(
        None,
        "--server",
        metavar="URL",
        callback=remember,
        rich_help_panel=PANEL,
        help="Work against this Kapstan server (default: $KAPSTAN_SERVER).",
    ),
    global_token: str | None = typer.Option(
        None,
        "--token",
        callback=remember,
        rich_help_panel=PANEL,
        show_default=False,
        help="The server's API token (default: $KAPSTAN_TOKEN, else the saved one).",
    ),
) -> None:
    """Never run: it only makes the options every command takes."""


@functools.cache
def _leaf_options() -> tuple[Any, ...]:
    # Built once per process (typer introspects ``_globals``, a few ms a time; every lazy
    # mount asks): only copies are given to commands.
    params = tuple(typer.main.get_command(_carrier).params)
    for param in params:
        # Consumed by ``remember``: the command's own function never sees them.
        param.expose_value = False
    return params


def leaves(command: Any) -> Iterator[Any]:
    """Every runnable command under ``command`` (groups are walked, not yielded); of a lazy
    group (``kapstan.cli.lazy``), those made so far: it gives each later one its options."""
    lazy = getattr(command, "lazy", None)
    children = lazy.loaded() if lazy is not None else getattr(command, "commands", None)
    if children is None:
        yield command
        return
    for child in children.values():
        yield from leaves(child)


def add_global_options(command: Any) -> Any:
    """``command`` with the global options added to each of its leaves; returned."""
    # Made once and copied: typer builds them by introspection, a few ms a time, and
    # `kapstan app` has some 25 leaves, mounted on every `kapstan app ...` (start-up).
    made = _leaf_options()
    for leaf in leaves(command):
        taken = {opt for p in leaf.params for opt in getattr(p, "opts", [])}
        # `kapstan server --db` is the store that server serves: its own option stays.
        leaf.params.extend(copy.copy(p) for p in made if not taken & set(p.opts))
    return command


class KapstanGroup(TyperGroup):
    """The root group: every command under it also takes the global options.

    The commands given when it is made get them here; those it mounts later (``lazy``)
    get them as they are mounted.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            add_global_options(command)


def output_defaults(root: Any, output: Format) -> dict[str, Any]:
    """A ``default_map`` giving ``-o`` to every command whose ``-o`` takes table|json|yaml."""

    def walk(command: Any) -> dict[str, Any]:
        children = getattr(command, "commands", None)
        if children is None:
            formats = [p for p in command.params if p.name == "output"]
            return (
                {"output": output.value}
                if formats and isinstance(formats[0].default, Format)
                else {}
            )
        found = {name: walk(child) for name, child in children.items()}
        return {name: value for name, value in found.items() if value}

    return walk(root)
