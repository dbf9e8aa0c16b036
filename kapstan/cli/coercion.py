"""Typer's coercion of parameter values, without pydantic for the values that need none.

Typer (0.29) turns each parameter's value into its annotated type through a pydantic
``TypeAdapter``, built the first time the parameter is processed, even for an option left
out (None) or a default already of its type: importing pydantic and building the twenty
adapters of ``kapstan app deploy`` (the root's options, the global ones, the command's)
cost about 0.12 s of CPU before its first request. Most values need no conversion: a
string for a str parameter, an int or float default, an Enum member or a choice's name, a
value the option's own ``parser`` reads. ``install`` answers those here with what Typer's
adapter answers (the same checks, in the same order: parser, Enum choice, number with its
bounds, bool, str; lists item by item); anything else (a number or a path typed on the
command line, a literal, a value that fails) goes to Typer's own coercion, built then, so
conversions and error messages stay Typer's. ``tests/cli/test_coercion.py`` compares both
on every parameter of every command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, get_args, get_origin

from typer._click import Context
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_choice
from typer.core import _TyperParameter

UNANSWERED = object()  # "not answered here": Typer's own coercion decides


@dataclass(frozen=True)
class DirectParam(RuntimeParam):
    """A parameter's coercion: values that need none answered here, the rest by Typer's."""

    descriptor: TypeDescriptor
    _typers: list[RuntimeParam] = field(default_factory=list)  # Typer's, once needed

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        direct = answer(self.descriptor, value, ctx)
        if direct is not UNANSWERED:
            return direct
        if not self._typers:
            self._typers.append(build_runtime_param(self.descriptor))
        return self._typers[0]._coerce_value(value, param=param, ctx=ctx)


def answer(descriptor: TypeDescriptor, value: Any, ctx: Context | None) -> Any:
    """What Typer's adapter would make of ``value`` (not None), or ``UNANSWERED`` if unsure."""
    annotation: Any = descriptor.annotation
    if get_origin(annotation) is list:  # each item as the item type; a new list, as pydantic
        (item,) = get_args(annotation)
        if get_origin(item) is not None or not isinstance(value, list | tuple):
            return UNANSWERED
        items = [_leaf(item, descriptor, v, ctx) for v in value]
        return UNANSWERED if any(i is UNANSWERED for i in items) else items
    if get_origin(annotation) is not None:
        return UNANSWERED
    return _leaf(annotation, descriptor, value, ctx)


def _leaf(annotation: Any, descriptor: TypeDescriptor, value: Any, ctx: Context | None) -> Any:
    # The order of Typer's ``build_leaf_adapter``: the option's parser wins over its type.
    info = descriptor.parameter_info
    if info.parser is not None:
        try:
            return info.parser(value)
        except Exception:  # Typer's adapter runs it again and words the error its way
            return UNANSWERED
    if not isinstance(annotation, type):
        return UNANSWERED
    if issubclass(annotation, Enum):
        try:
            return coerce_cli_choice(
                value, choices=tuple(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError:
            return UNANSWERED
    if type(value) is not annotation:
        return UNANSWERED
    if annotation in (bool, str):
        return value
    if annotation in (int, float) and not info.clamp and _within(value, info.min, info.max):
        return value
    return UNANSWERED


def _within(value: Any, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _runtime_param(self: _TyperParameter) -> RuntimeParam:
    # Typer's ``get_runtime_param``, with the direct answers in front of its adapters.
    if self._runtime_param is None:
        d = self.type_descriptor
        self._runtime_param = (
            build_runtime_param(d) if d.is_file else DirectParam(d.parameter_info, d.annotation, d)
        )
    return self._runtime_param


def install() -> None:
    """Use ``DirectParam`` for every Typer parameter of this process (idempotent)."""
    _TyperParameter.get_runtime_param = _runtime_param  # type: ignore[method-assign]
