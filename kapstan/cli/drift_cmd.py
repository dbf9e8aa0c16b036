"""``kapstan app drift``: the live objects checked against the last revisions, on ``app_cmd.app``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from kapstan.cli.app_cmd import app
from kapstan.cli.backend import open_backend
from kapstan.cli.common import OutputOpt, iso
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.output import Format, print_data

# The drift check (the engine, the Kubernetes client) is imported when it runs: the `app`
# group is loaded whole for any `kapstan app ...` (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from kapstan.actions.drift import DriftView, ServiceDriftView
    from kapstan.cli.backend.drift import DriftPort


@app.command()
def drift(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Check now whether the live objects of each service still match its last deployed
    revision (a server-side apply dry run; nothing is changed), and show the diff.

    Fields another controller owns (replicas under an autoscaler) are not drift; secret
    values are redacted. Exits 2 when a service drifted.
    """
    from kapstan.cli.backend.drift import LocalDrift
    from kapstan.cli.backend.remotedrift import RemoteDrift

    with open_backend(ctx) as backend:
        port: DriftPort = (
            RemoteDrift(backend.client)
            if backend.client is not None
            else LocalDrift(backend.local_store("app drift"))
        )
        view = port.check(name)
    print_data(_record(view), output, format_drift(view))
    if view.drifted:
        raise typer.Exit(ExitCode.CHANGES)


def format_drift(view: DriftView) -> str:
    heal = "on" if view.self_heal else "off"
    lines = [f"{view.app} ({view.environment}, self-heal {heal})"]
    for s in view.services:
        lines.append(f"{s.service}: {_state(s)}")
        lines.extend(f"  {field}" for field in s.fields)
        if s.diff:
            lines.extend(f"    {line}" for line in s.diff.rstrip("\n").splitlines())
    if view.heal_note:
        lines.append(view.heal_note)
    return "\n".join(lines)


def _state(s: ServiceDriftView) -> str:
    if s.note:
        return s.note
    revision = f"revision {s.revision}"
    if not s.drifted:
        return f"in sync with {revision}"
    healed = f"; healed by operation {s.healed_by}" if s.healed_by else ""
    return f"drifted from {revision} ({len(s.fields)} field(s)){healed}"


def _record(view: DriftView) -> dict[str, Any]:
    return {
        "app": view.app,
        "environment": view.environment,
        "selfHeal": view.self_heal,
        "drifted": view.drifted,
        "services": [
            {
                "service": s.service,
                "revision": s.revision,
                "drifted": s.drifted,
                "checkedAt": iso(s.checked_at) if s.checked_at else None,
                "fields": list(s.fields),
                "diff": s.diff,
                "note": s.note,
                "healedBy": s.healed_by,
            }
            for s in view.services
        ],
    }
