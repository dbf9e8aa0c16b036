"""Kubernetes resource quantities ("250m", "1.5", "128Mi", "1G", "12e3") as numbers, and back.

The suffixes are the apiserver's: decimal SI (``n u m k M G T P E``), binary (``Ki Mi Gi Ti Pi
Ei``) and decimal exponents (``e3``, ``E6``). Parsing is exact (``Decimal``), so a sum of
many pods' usage does not drift.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")


def parse_quantity(text: str) -> Decimal:
    """``text`` as an exact number; ValueError naming it when it is not a quantity."""
    match = _QUANTITY.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a Kubernetes quantity (e.g. 250m, 1.5, 128Mi, 1G)")
    try:
        number = Decimal(match[1])
    except InvalidOperation as exc:  # the pattern admits only digits: kept for safety
        raise ValueError(f"{text!r} is not a Kubernetes quantity") from exc
    suffix = match[2] or ""
    if suffix in _BINARY:
        return number * Decimal(1024) ** _BINARY[suffix]
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return number.scaleb(int(suffix[1:]))
    return number.scaleb(_DECIMAL[suffix])


def cpu_millicores(text: str) -> float:
    """A CPU quantity in thousandths of a core ("250m" -> 250.0, "2" -> 2000.0)."""
    return float(parse_quantity(text) * 1000)


def memory_bytes(text: str) -> int:
    """A memory quantity in bytes, rounded up ("128Mi" -> 134217728)."""
    value = parse_quantity(text)
    whole = int(value)
    return whole + 1 if value > whole else whole


def format_cpu(millicores: float) -> str:
    """As ``kubectl top`` prints it: whole millicores ("250m")."""
    return f"{round(millicores)}m"


def format_memory(size: int) -> str:
    """As ``kubectl top`` prints it: whole mebibytes ("128Mi"); under 1 MiB, in KiB."""
    if size < 1024**2:
        return f"{-(-size // 1024)}Ki"
    return f"{round(size / 1024**2)}Mi"
