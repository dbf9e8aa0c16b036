"""Log collection rules as values: which logs of which services go to which store.

A rule comes from a template (``logs:`` at the top of kapstan.yaml or under a service) or
from an environment (``kapstan env logs set``); ``kapstan.logrules`` reads and checks them
and renders the collector that carries them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STREAMS = ("stdout", "stderr")
DESTINATION_KINDS = ("otlp", "elasticsearch", "kafka", "loki", "http", "file")


@dataclass(frozen=True)
class Destination:
    """Where a rule's lines go: ``kind`` (one of DESTINATION_KINDS) and its checked
    settings (``endpoint``, ``protocol``, ``brokers``, ``topic``, ``path``...)."""

    kind: str
    settings: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class LogRule:
    """One rule. ``services``: "service" or "app/service" names (empty: every service
    it can see); ``containers``: container names (empty: all); ``streams``: stdout and/or
    stderr; ``files``: absolute paths (globs) inside the containers, read instead of the
    streams; ``include``/``exclude``: RE2 patterns on the line; ``first_line``: the
    pattern that starts a multi-line entry (a stack trace joins the line before it).
    ``where`` names the file and line it was read from, for errors found later."""

    name: str
    destination: Destination
    services: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()
    streams: tuple[str, ...] = STREAMS
    files: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    first_line: str | None = None
    where: str = field(default="", compare=False)
