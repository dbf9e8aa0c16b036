"""Config values that need not be on the command line (shell history, ``ps``, CI logs).

``config set NAME ...`` takes, per key:

    KEY=VALUE              on the command line (a YAML scalar: 3 is a number)
    KEY                    with --secret: asked on the terminal, hidden, typed twice;
                           with --stdin: read from standard input
    KEY=-                  read from standard input
    --from-file KEY=PATH   read from the file PATH

A value read from stdin, a file or the terminal is text, taken as it is but for one
trailing line break (``echo pw |`` and editors add one); an empty one is refused. One key
at most reads standard input. Errors name the key and the file, never a value; a bare word (which may be a value
typed where its key was due) is named by its position.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from kapstan.actions.configfiles import MAX_CONFIG_FILE_BYTES, check_key, parse_assignments
from kapstan.errors import InputError
from kapstan.model.values import SecretValue, Value
from kapstan.render.placeholders import is_key

STDIN = "-"


def gather(
    pairs: Sequence[str], *, secret: bool, stdin: bool, files: Sequence[str]
) -> dict[str, Value]:
    """Every key's value, from wherever ``pairs`` and ``files`` say it comes."""
    literal: list[str] = []
    texts: dict[str, str] = {}
    readers = _reading_stdin(pairs, stdin=stdin, secret=secret)
    if len(readers) > 1:
        raise InputError(
            f"only one key can read standard input, not {len(readers)}; "
            "give the others with --from-file KEY=PATH"
        )
    for index, pair in enumerate(pairs, start=1):
        key, sep, value = pair.partition("=")
        if sep and value != STDIN:
            literal.append(pair)
            continue
        # A bare word may be a value typed where its key was due: never repeat it.
        label = key if sep else f"argument {index}"
        if not is_key(key):
            raise InputError(f"{label} is not a config key (dotted names like db.password)")
        if key in texts:
            raise InputError(f"{label}: that key is given twice")
        texts[key] = _read_stdin(label) if index in readers else _ask(key, label)
    for spec in files:
        key, path = _file_spec(spec)
        if key in texts:
            raise InputError(f"key {key!r} is given twice")
        texts[key] = _read_file(key, path)
    values = parse_assignments(literal, secret=secret)
    for key, text in texts.items():
        if key in values:
            raise InputError(f"key {key!r} is given twice")
        values[key] = SecretValue(text) if secret else text
    if not values:
        raise InputError("no keys to set: give KEY=VALUE, --secret KEY, or --from-file KEY=PATH")
    return values


def _reading_stdin(pairs: Sequence[str], *, stdin: bool, secret: bool) -> list[int]:
    """The positions (from 1) of the arguments whose value is standard input."""
    readers: list[int] = []
    for index, pair in enumerate(pairs, start=1):
        _, sep, value = pair.partition("=")
        if (sep and value == STDIN) or (not sep and stdin):
            readers.append(index)
        elif not sep and not secret:
            raise InputError(
                f"argument {index} has no value: give KEY=VALUE, KEY=- to read standard "
                "input, or --secret KEY to be asked for it"
            )
    return readers


def _ask(key: str, label: str) -> str:
    if not sys.stdin.isatty():
        raise InputError(
            f"no terminal to ask for the value of {label}: pipe it with KEY=- (or --stdin "
            "KEY), or give --from-file KEY=PATH"
        )
    text: str = typer.prompt(key, hide_input=True, confirmation_prompt=True)
    return _checked(text, f"the value typed for {label} is empty")


def _read_stdin(label: str) -> str:
    text = sys.stdin.read(MAX_CONFIG_FILE_BYTES + 1)
    if len(text) > MAX_CONFIG_FILE_BYTES:
        raise InputError(
            f"standard input for {label} holds more than {MAX_CONFIG_FILE_BYTES} bytes"
        )
    return _checked(text, f"standard input held no value for {label}")


def _file_spec(spec: str) -> tuple[str, Path]:
    key, sep, path = spec.partition("=")
    if not sep or not key or not path:
        raise InputError(f"--from-file {spec}: expected KEY=PATH (e.g. db.password=./pw.txt)")
    return check_key(key, f"--from-file {spec}"), Path(path)


def _read_file(key: str, path: Path) -> str:
    where = f"--from-file {key}={path}"
    try:
        with path.open("rb") as f:
            data = f.read(MAX_CONFIG_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{where}: {path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{where}: {path} is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{where}: cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_FILE_BYTES:
        raise InputError(f"{where}: {path} is larger than {MAX_CONFIG_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{where}: {path} is not UTF-8 text") from None
    return _checked(text, f"{where}: {path} is empty")


def _checked(text: str, empty: str) -> str:
    value = text.removesuffix("\n").removesuffix("\r")
    if not value:
        raise InputError(empty)
    return value
