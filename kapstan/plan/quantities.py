"""Quantities where a quota needs them: parsed naming the flag or key at fault, and shown.

The parsing is ``kapstan.model.quantities`` (exact ``Decimal``s, so ``100m`` x 3 is exactly
``300m`` and a quota of ``300m`` takes three pods of ``100m``).
"""

from __future__ import annotations

from decimal import Decimal

from kapstan.errors import InputError
from kapstan.model.quantities import parse_quantity

EXAMPLES = "such as 500m, 2, 512Mi or 1.5Gi"
_BINARY = (("Ei", 6), ("Pi", 5), ("Ti", 4), ("Gi", 3), ("Mi", 2), ("Ki", 1))


def parse(text: object, where: str) -> Decimal:
    """The value of quantity ``text``; InputError naming ``where`` (a flag or key) if it is
    not one, or is negative (no quota, request or limit is)."""
    raw = str(text) if isinstance(text, str | int) and not isinstance(text, bool) else ""
    try:
        value = parse_quantity(raw)
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a Kubernetes quantity ({EXAMPLES})") from None
    if value < 0:
        raise InputError(f"{where}: {text!r} is negative; a quantity here is 0 or more")
    return value


def is_quantity(text: object) -> bool:
    try:
        parse(text, "")
    except InputError:
        return False
    return True


def count(text: object, where: str) -> int:
    """A whole number of objects (``pods``, ``services``...); InputError naming ``where``."""
    value = parse(text, where)
    if value != value.to_integral_value():
        raise InputError(f"{where}: {text!r} is not a whole number of objects")
    return int(value)


def show(value: Decimal, resource: str) -> str:
    """``value`` for people, in the unit ``resource`` is counted in: CPUs (``2``, ``250m``),
    bytes (``1.5Gi``) or a plain count."""
    if resource.endswith("cpu"):
        return _number(value) if value == value.to_integral_value() else f"{_number(value * 1000)}m"
    if resource.endswith(("memory", "storage")):
        for suffix, power in _BINARY:
            if value >= 1024**power:
                return f"{_number(value / 1024**power)}{suffix}"
    return _number(value)


def _number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")
