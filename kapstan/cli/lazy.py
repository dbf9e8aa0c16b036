"""Sub-commands imported only when they run, so ``kapstan --version`` starts in a blink.

Every command module pulls in its share of Kapstan (the store and SQLAlchemy, the API's
schemas, the Kubernetes client...): importing them all took seconds before the first
request of any command. The root group instead holds a table of ``Lazy`` entries: a
name, the one-line summary ``kapstan --help`` shows for it, and a ``mount`` function that
imports the command's modules and adds the command to a Typer app. ``LazyCommands`` is
the group's ``commands`` mapping: listing its names imports nothing; looking a command up
mounts it (once per group) and gives it the global options (``globalopts``).

``kapstan --help`` and shell completion of the first word show the table's summaries
without mounting anything; tests/cli/test_startup.py keeps each summary equal to its
command's own help.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer._click import Command as Click  # the CLI library's Command (typer vendors it)
from typer._click import Context
from typer._click.formatting import HelpFormatter
from typer._click.shell_completion import CompletionItem
from typer.core import TyperCommand
from typer.main import get_group

from kapstan.cli.globalopts import KapstanGroup, add_global_options

Mount = Callable[[typer.Typer], None]


@dataclass(frozen=True)
class Lazy:
    """A root command made on first use: ``mount`` imports it and adds it to the app."""

    summary: str  # the first paragraph of its help: its line in `kapstan --help`
    mount: Mount  # may add several commands (``server`` and ``user``): each is kept


class LazyCommands(MutableMapping[str, Click]):
    """A group's commands, the lazy ones mounted when looked up (or listed with their values)."""

    def __init__(self, eager: Mapping[str, Click], table: Mapping[str, Lazy]) -> None:
        self._made: dict[str, Click] = dict(eager)
        self._table = table
        self._summarising = False

    @contextmanager
    def summaries(self) -> Iterator[None]:
        """Within: a lazy command not yet mounted is looked up as its summary only."""
        self._summarising = True
        try:
            yield
        finally:
            self._summarising = False

    def loaded(self) -> dict[str, Click]:
        """The commands made so far (for walks that must not import the rest)."""
        return dict(self._made)

    def __getitem__(self, name: str) -> Click:
        made = self._made.get(name)
        if made is not None:
            return made
        entry = self._table[name]  # KeyError: no such command
        if self._summarising:
            return TyperCommand(name=name, help=entry.summary)
        self._mount(entry)
        return self._made[name]

    def _mount(self, entry: Lazy) -> None:
        scratch = typer.Typer()
        entry.mount(scratch)
        # Typer's own builder, as `add_typer`/`command` on the root would have it.
        for name, command in get_group(scratch).commands.items():
            if name not in self._made:
                self._made[name] = add_global_options(command)

    def __setitem__(self, name: str, command: Click) -> None:
        self._made[name] = command

    def __delitem__(self, name: str) -> None:
        del self._made[name]

    def __iter__(self) -> Iterator[str]:
        # The table's order (that of `kapstan --help`), whichever were mounted first.
        yield from (name for name in self._made if name not in self._table)
        yield from self._table

    def __len__(self) -> int:
        return len(self._made.keys() | self._table.keys())


class LazyGroup(KapstanGroup):
    """A root group whose commands (``table``, in help order) are mounted as they are used."""

    table: ClassVar[Mapping[str, Lazy]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = self.lazy = LazyCommands(self.commands, self.table)

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)  # the names only: TyperGroup's would mount them all

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        with self.lazy.summaries():
            super().format_help(ctx, formatter)

    def shell_complete(self, ctx: Context, incomplete: str) -> list[CompletionItem]:
        with self.lazy.summaries():
            return super().shell_complete(ctx, incomplete)
