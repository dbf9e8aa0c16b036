"""What changes between two renders of an application, per service, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class ServiceChange:
    """A service whose rendered output changes.

    ``keys``: config keys the service uses whose value changed (or appeared/disappeared);
    ``files``: its source files (manifests, ``kapstan.yaml#<service>``) that changed;
    ``notes``: other reasons, e.g. the namespace or app name changed.
    """

    service: str
    kind: ChangeKind
    old_hash: str | None
    new_hash: str | None
    keys: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for people, e.g. ``catalog: changed (keys: a.b; files: x.yaml)``."""
        reasons = []
        if self.keys:
            reasons.append("keys: " + ", ".join(self.keys))
        if self.files:
            reasons.append("files: " + ", ".join(self.files))
        reasons.extend(self.notes)
        tail = f" ({'; '.join(reasons)})" if reasons else ""
        return f"{self.service}: {self.kind}{tail}"
