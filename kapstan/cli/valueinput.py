"""Config values that need not be on the command line (shell history, ``ps``, CI logs).

``config set NAME ...`` takes, per key:

    KEY=VALUE              on the command line (a YAML scalar: 3 is a number)
    KEY                    with --secret: asked on the terminal, hidden, typed twice;
                           with --stdin: read from standard input
    KEY=-                  read from standard input
    --from-file KEY=PATH   read from the file PATH

A value read from stdin, a file or the terminal is text, taken as it is but for one
trailing line break (``echo pw |`` and editors add one); an empty one is refused. One key
at most reads standard input. Errors name the key, and the file, never the value.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from kapstan.actions.configfiles import MAX_CONFIG_FILE_BYTES, check_key, parse_assignments
from kapstan.errors import InputError
from kapstan.model.values import SecretValue, Value

STDIN = "-"


def gather(
    pairs: Sequence[str], *, secret: bool, stdin: bool, files: Sequence[str]
) -> dict[str, Value]:
    """Every key's value, from wherever ``pairs`` and ``files`` say it comes."""
    literal: list[str] = []
    texts: dict[str, str] = {}
    from_stdin = _keys_reading_stdin(pairs, stdin=stdin, secret=secret)
    if len(from_stdin) > 1:
        raise InputError(
            f"only one key can read standard input, not {', '.join(from_stdin)}; "
            "give the others with --from-file KEY=PATH"
        )
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if sep and value != STDIN:
            literal.append(pair)
            continue
        check_key(key, "config set")
        if key in from_stdin:
            texts[_new(key, texts)] = _read_stdin(key)
        else:
            texts[_new(key, texts)] = _ask(key)
    for spec in files:
        key, path = _file_spec(spec)
        texts[_new(key, texts)] = _read_file(key, path)
    values = parse_assignments(literal, secret=secret)
    for key, text in texts.items():
        if key in values:
            raise InputError(f"key {key!r} is given twice")
        values[key] = SecretValue(text) if secret else text
    if not values:
        raise InputError("no keys to set: give KEY=VALUE, --secret KEY, or --from-file KEY=PATH")
    return values


def _keys_reading_stdin(pairs: Sequence[str], *, stdin: bool, secret: bool) -> list[str]:
    keys: list[str] = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if (sep and value == STDIN) or (not sep and stdin):
            keys.append(key)
        elif not sep and not secret:
            raise InputError(
                f"{key!r} has no value: give {key}=VALUE, {key}=- to read standard input, "
                f"or --secret {key} to be asked for it"
            )
    return keys


def _new(key: str, seen: dict[str, str]) -> str:
    if key in seen:
        raise InputError(f"key {key!r} is given twice")
    return key


def _ask(key: str) -> str:
    if not sys.stdin.isatty():
        raise InputError(
            f"no terminal to ask for {key}'s value: pipe it with {key}=- (or --stdin {key}), "
            f"or give --from-file {key}=PATH"
        )
    text: str = typer.prompt(key, hide_input=True, confirmation_prompt=True)
    return _checked(text, f"the value typed for {key} is empty")


def _read_stdin(key: str) -> str:
    text = sys.stdin.read(MAX_CONFIG_FILE_BYTES + 1)
    if len(text) > MAX_CONFIG_FILE_BYTES:
        raise InputError(f"standard input for {key} holds more than {MAX_CONFIG_FILE_BYTES} bytes")
    return _checked(text, f"standard input held no value for {key}")


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
