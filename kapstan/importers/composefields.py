"""Compose field values to Kubernetes fragments: ports, volumes, durations, quantities,
commands and health checks. Pure; the caller reports what these return as unknown."""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass
from typing import Any

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
_BYTES = re.compile(r"(\d+(?:\.\d+)?)\s*([bkmgt]?)b?\Z", re.I)
_POWERS = {"": 0, "b": 0, "k": 1, "m": 2, "g": 3, "t": 4}
MAX_RANGE = 20


class FieldError(ValueError):
    """A compose value that cannot be read; the message says what was expected."""


def seconds(value: Any) -> int:
    """A compose duration (``1m30s``, ``500ms``, or a number of seconds) in whole seconds, at least 1."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(1, math.ceil(value))
    text = str(value).strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise FieldError(f"{value!r} is not a duration such as 30s or 1m30s")
    total = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    return max(1, math.ceil(total))


def cpu(value: Any) -> str:
    """Compose ``cpus`` (``0.5``) as a Kubernetes quantity (``500m``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError(f"{value!r} is not a number of CPUs") from None
    milli = round(number * 1000)
    if milli <= 0:
        raise FieldError(f"{value!r} is not a positive number of CPUs")
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def memory(value: Any) -> str:
    """Compose bytes (``512M``, ``1.5g``, ``1048576``) as a Kubernetes quantity (``512Mi``)."""
    match = _BYTES.match(str(value).strip())
    if match is None:
        raise FieldError(f"{value!r} is not a size such as 512m or 1g")
    total = int(float(match[1]) * 1024 ** _POWERS[match[2].lower()])
    for suffix, power in (("Ti", 4), ("Gi", 3), ("Mi", 2), ("Ki", 1)):
        if total and total % 1024**power == 0:
            return f"{total // 1024**power}{suffix}"
    return str(total)


def words(value: Any) -> list[str]:
    """A compose command/entrypoint (a string split like a shell, or a list) as arguments."""
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        return shlex.split(str(value))
    except ValueError as err:
        raise FieldError(f"{value!r} cannot be split into arguments: {err}") from None


def probe_command(test: Any) -> list[str] | None:
    """A healthcheck ``test`` as an exec command; None for ``NONE``."""
    if isinstance(test, str):
        return ["/bin/sh", "-c", test]
    if not isinstance(test, list) or not test:
        raise FieldError(f"{test!r} is not a healthcheck test (a string or [CMD, ...])")
    head, rest = str(test[0]), [str(t) for t in test[1:]]
    if head == "NONE":
        return None
    if head == "CMD" and rest:
        return rest
    if head == "CMD-SHELL" and rest:
        return ["/bin/sh", "-c", " ".join(rest)]
    raise FieldError(f"{test!r}: the test must start with CMD, CMD-SHELL or NONE")


@dataclass(frozen=True)
class Port:
    target: int
    published: str
    protocol: str
    host_ip: str = ""

    @property
    def name(self) -> str:
        return f"{self.protocol.lower()}-{self.target}"


def ports(value: Any) -> list[Port]:
    """One compose port entry (short or long syntax) as ports; ranges are expanded."""
    if isinstance(value, dict):
        if "target" not in value:
            raise FieldError(f"{value!r}: a long-syntax port needs 'target'")
        return [
            Port(
                _int_port(value["target"]),
                str(value.get("published", "")),
                str(value.get("protocol", "tcp")).upper(),
                str(value.get("host_ip", "")),
            )
        ]
    text = str(value)
    text, _, protocol = text.partition("/")
    host_ip = ""
    if text.startswith("["):
        host_ip, _, text = text[1:].partition("]:")
    parts = text.split(":")
    if len(parts) == 3:
        host_ip, parts = parts[0], parts[1:]
    if len(parts) > 2:
        raise FieldError(f"{value!r} is not a port such as 80, 8080:80 or 127.0.0.1:8080:80/udp")
    published, target = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
    targets = _port_range(target, value)
    return [Port(t, published, (protocol or "tcp").upper(), host_ip) for t in targets]


def _port_range(text: str, original: Any) -> list[int]:
    low, _, high = text.partition("-")
    first = _int_port(low)
    last = _int_port(high) if high else first
    if last < first or last - first >= MAX_RANGE:
        raise FieldError(f"{original!r}: port range {text} is empty or longer than {MAX_RANGE}")
    return list(range(first, last + 1))


def _int_port(value: Any) -> int:
    try:
        port = int(str(value))
    except ValueError:
        raise FieldError(f"{value!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise FieldError(f"{value!r} is not a port number (1-65535)")
    return port


@dataclass(frozen=True)
class Mount:
    """A compose volume entry: ``kind`` is volume, bind, tmpfs or anonymous (or another type)."""

    kind: str
    source: str
    target: str
    read_only: bool = False


def mount(value: Any) -> Mount:
    """One compose service volume (short or long syntax)."""
    if isinstance(value, dict):
        kind = str(value.get("type", "volume"))
        source = str(value.get("source", ""))
        target = str(value.get("target", ""))
        if not target:
            raise FieldError(f"{value!r}: a long-syntax volume needs 'target'")
        if kind == "volume" and not source:
            kind = "anonymous"
        return Mount(kind, source, target, bool(value.get("read_only", False)))
    parts = str(value).split(":")
    if len(parts) == 1:
        return Mount("anonymous", "", parts[0])
    source, target = parts[0], parts[1]
    modes = parts[2].split(",") if len(parts) > 2 else []
    bind = source.startswith((".", "/", "~")) or "/" in source
    return Mount("bind" if bind else "volume", source, target, "ro" in modes)
