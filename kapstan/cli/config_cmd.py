"""``kapstan config``: versioned key/value sets. Secrets print as <redacted>, always."""

from __future__ import annotations

from pathlib import Path

import typer

from kapstan.actions.refs import parse_ref
from kapstan.cli.backend import open_backend
from kapstan.cli.common import MessageOpt, OutputOpt, author
from kapstan.cli.configviews import diff_record, print_config, print_versions, report_write
from kapstan.cli.output import Format, print_data
from kapstan.errors import InputError

PairsArg = typer.Argument(None, metavar="KEY[=VALUE]...", show_default=False)
KeysArg = typer.Argument(..., metavar="KEY...")
FileArg = typer.Argument(..., help="A flat YAML map of key: scalar.")
FromFileOpt = typer.Option(
    [], "--from-file", metavar="KEY=PATH", help="KEY's value is the file's text (repeatable)."
)

app = typer.Typer(help="Configs: versioned key/value pairs; every change is a new version.")


@app.command("set")
def set_(
    ctx: typer.Context,
    name: str,
    pairs: list[str] | None = PairsArg,
    secret: bool = typer.Option(
        False, "--secret", help="Store the values encrypted, as text; a bare KEY is asked for."
    ),
    stdin: bool = typer.Option(False, "--stdin", help="The bare KEY's value is standard input."),
    files: list[str] = FromFileOpt,
    plain: bool = typer.Option(
        False,
        "--plain",
        help="Make keys that are secret plain (audited); without it they stay secret.",
    ),
    message: str = MessageOpt,
    output: Format = OutputOpt,
) -> None:
    """Set keys (creating config NAME if missing). Values are YAML scalars: 3 is a number.

    A key that is secret stays secret (its new value is stored encrypted, as text) unless
    --plain is given. A value need not be on the command line: `--secret KEY` asks for it
    (hidden), `KEY=-` or `--stdin KEY` reads standard input, `--from-file KEY=PATH` a file.
    """
    from kapstan.cli.valueinput import gather  # YAML scalars: loaded for a write only

    if secret and plain:
        raise InputError("--secret and --plain contradict each other; give one")
    values = gather(pairs or [], secret=secret, stdin=stdin, files=files)
    with open_backend(ctx) as backend:
        result = backend.configs.set(name, values, author=author(), message=message, plain=plain)
    report_write(result, output)


@app.command()
def unset(
    ctx: typer.Context,
    name: str,
    keys: list[str] = KeysArg,
    message: str = MessageOpt,
    output: Format = OutputOpt,
) -> None:
    """Remove keys from config NAME (a new version)."""
    with open_backend(ctx) as backend:
        result = backend.configs.unset(name, keys, author=author(), message=message)
    report_write(result, output)


@app.command("import")
def import_(
    ctx: typer.Context,
    name: str,
    file: Path = FileArg,
    replace: bool = typer.Option(False, "--replace", help="The file becomes the whole config."),
    message: str = MessageOpt,
    output: Format = OutputOpt,
) -> None:
    """Set every key of FILE in config NAME (creating it if missing)."""
    with open_backend(ctx) as backend:
        result = backend.configs.import_file(
            name, file, replace=replace, author=author(), message=message
        )
    report_write(result, output)


@app.command()
def get(
    ctx: typer.Context,
    config: str = typer.Argument(..., metavar="NAME[@VERSION]"),
    key: str | None = typer.Argument(None, help="Only this key."),
    output: Format = OutputOpt,
) -> None:
    """The values of a version (the latest by default)."""
    ref = parse_ref(config, "config")
    with open_backend(ctx) as backend:
        version = backend.configs.get(ref)
    print_config(version, key, output)


@app.command("list")
def list_(ctx: typer.Context, output: Format = OutputOpt) -> None:
    """Every config with its latest version."""
    with open_backend(ctx) as backend:
        versions = backend.configs.list()
    print_versions([(v, None) for v in versions], output, with_name=True)


@app.command()
def history(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Every version of config NAME and the keys it changed."""
    with open_backend(ctx) as backend:
        entries = backend.configs.history(name)
    print_versions([(e.version, e.changes) for e in entries], output, with_name=False)


@app.command()
def diff(ctx: typer.Context, name: str, old: int, new: int, output: Format = OutputOpt) -> None:
    """What changed from version OLD to version NEW."""
    from kapstan.plan.configdiff import format_config_diff

    with open_backend(ctx) as backend:
        changes = backend.configs.diff(name, old, new)
    print_data(diff_record(changes), output, format_config_diff(changes).rstrip("\n"))


@app.command()
def rollback(
    ctx: typer.Context,
    name: str,
    version: int,
    message: str = MessageOpt,
    output: Format = OutputOpt,
) -> None:
    """Make a new version equal to VERSION."""
    with open_backend(ctx) as backend:
        result = backend.configs.rollback(name, version, author=author(), message=message)
    report_write(result, output)
