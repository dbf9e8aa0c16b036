"""How a deploy runs: its timeout, atomicity, requests in flight, force and adoption.

Apart from ``kapstan.engine.deploy`` so that a client that only sends them to a server
(``kapstan --server ... app deploy``) does not load the engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.engine import inflight


@dataclass(frozen=True)
class DeployOptions:
    timeout: float = 300.0
    atomic: bool = False
    # Apply requests in flight at once, all services together (services are not capped:
    # one waiting for readiness holds no slot).
    max_inflight: int = inflight.DEFAULT_SIZE
    force: bool = False
    message: str = ""
    adopt: bool = False  # take over foreign objects (never another application's)

    @classmethod
    def from_record(cls, recorded: Mapping[str, Any]) -> DeployOptions:
        """Options recorded with an operation; keys of older versions (max_parallel) dropped."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in recorded.items() if k in known})
