"""``kapstan.cli.coercion`` answers as Typer's own coercion does, on every parameter.

Each parameter of every command (all mounted) gets its default, its choices as typed
(and miswritten), a string, lists: where the direct answer is given, it must be Typer's
adapter's; where a value fails, the error must be Typer's wording.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import Any, get_args, get_origin

import typer
from typer._click import Command, Context
from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam, build_runtime_param
from typer.core import TyperGroup, _TyperParameter

from kapstan.cli.coercion import UNANSWERED, DirectParam, answer
from kapstan.cli.main import app as root_app


def _commands(command: Command) -> Iterator[Command]:
    yield command
    if isinstance(command, TyperGroup):
        for name in list(command.commands):  # looking each up mounts it
            sub = command.commands[name]
            yield from _commands(sub)


def _samples(param: _TyperParameter) -> list[Any]:
    annotation: Any = param.type_descriptor.annotation
    values: list[Any] = ["x", "", "7", "2.5", "5m", "nosuch"]
    if param.default is not None and not callable(param.default):
        values.append(param.default)
    if get_origin(annotation) is list:
        values += [[], ["x"], ("x", "y"), [7]]
        (annotation,) = get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        for member in annotation:
            values += [member, str(member.value), str(member.value).upper()]
    return values


def _outcome(runtime: RuntimeParam, value: Any, param: _TyperParameter, ctx: Context) -> Any:
    try:
        return ("ok", runtime.coerce(value, param=param, ctx=ctx))
    except BadParameter as failed:
        return ("error", failed.format_message())


def test_direct_answers_are_typers_on_every_parameter_of_every_command() -> None:
    root = typer.main.get_command(root_app)
    checked, answered = 0, 0
    for command in _commands(root):
        ctx = Context(command)
        for param in command.params:
            assert isinstance(param, _TyperParameter), (command.name, param.name)
            runtime = param.get_runtime_param()
            if param.type_descriptor.is_file:
                continue  # Typer's own (it opens the file)
            assert isinstance(runtime, DirectParam), (command.name, param.name)  # installed
            typers = build_runtime_param(param.type_descriptor)
            for value in _samples(param):
                expected = _outcome(typers, value, param, ctx)
                assert _outcome(runtime, value, param, ctx) == expected, (param.name, value)
                direct = answer(param.type_descriptor, value, ctx)
                if direct is not UNANSWERED:
                    assert ("ok", direct) == expected, (command.name, param.name, value)
                    assert type(direct) is type(expected[1]), (command.name, param.name, value)
                    answered += 1
                checked += 1
    # Many values are answered here (else the module saves nothing), each as Typer would.
    assert checked > 1000
    assert answered > checked // 4
