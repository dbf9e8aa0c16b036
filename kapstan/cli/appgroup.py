"""The ``kapstan app`` group: each command made when it runs, as the root's are (``lazy``).

``app_cmd`` makes create, list, show, changes, update and webhook; the others live in
modules of their own that register on ``app_cmd.app`` when imported (the engine's, the
live reads', the views'...). Building every one of them on each ``kapstan app ...``
imported those modules and had Typer introspect some 25 functions, about 50 ms of CPU
before ``app deploy``'s first request. ``COMMANDS`` names each command kept out, in the
order ``kapstan app --help`` lists them, with the first paragraph of its help, line breaks
kept: Typer shows them (tests/cli/test_startup.py keeps both in step with the modules).
"""

from __future__ import annotations

import importlib

import typer

from kapstan.cli.lazy import Lazy, LazyGroup, Mount


def _command(module: str, name: str) -> Mount:
    """Import ``kapstan.cli.<module>`` (it registers on ``app_cmd.app``); mount ``name`` only."""

    def mount(scratch: typer.Typer) -> None:
        from kapstan.cli import app_cmd

        importlib.import_module(f"kapstan.cli.{module}")
        scratch.registered_commands.extend(
            info for info in app_cmd.app.registered_commands if command_name(info) == name
        )

    return mount


def command_name(info: typer.models.CommandInfo) -> str:
    """The name Typer gives a registered command (its function's, unless named)."""
    assert info.callback is not None
    return info.name or info.callback.__name__.lower().replace("_", "-")


def _table(module: str, *commands: tuple[str, str]) -> dict[str, Lazy]:
    return {name: Lazy(summary, _command(module, name)) for name, summary in commands}


COMMANDS: dict[str, Lazy] = {
    **_table(
        "appviews_cmd",
        ("render", "The rendered manifests (YAML; Secret values shown as <redacted>)."),
        (
            "services",
            "Each service: workload kinds, dependsOn, calls, content hash, latest revision.",
        ),
        ("graph", "The dependency graph: waves as text, Graphviz DOT, Mermaid, or JSON/YAML."),
        ("history", "Revisions (deploys) of each service."),
        ("diff", "What changed between two revisions of one service (unified diff by default)."),
    ),
    **_table(
        "daytwo_cmd",
        ("events", "Events of the app's objects and pods: Warning first, newest first."),
        (
            "logs",
            "Logs of every pod of the app's services, merged by time, each line prefixed with\n"
            "its service and pod (and container, when the pod has several).",
        ),
        ("top", "CPU and memory per service and pod, now, from the cluster's metrics API."),
    ),
    **_table(
        "deploy_cmd",
        (
            "plan",
            "What a deploy would do, per service and resource, with diffs against the live "
            "cluster.",
        ),
        (
            "deploy",
            "Show the plan, then deploy in dependency order, showing progress as it happens.",
        ),
        (
            "rollback",
            "Show the plan, then re-apply earlier revisions: one service, or every service to its\n"
            "previous one, in one operation.",
        ),
        ("status", "Per service, read live: revision, ready/desired, health, drift and why."),
        (
            "operation",
            "One operation with its per-service steps and event log (readable while it runs).",
        ),
        (
            "cancel",
            "Stop NAME's running operation at its next safe point (between two objects, or while\n"
            "it waits for readiness); it ends cancelled and frees the application.",
        ),
        ("operations", "The application's recent operations, newest first."),
        (
            "promote",
            "Run NAME's template version in another environment, with that environment's config.",
        ),
    ),
    **_table(
        "delete_cmd",
        ("delete", "Delete app NAME: its objects in the cluster (dependents first), then the app."),
    ),
    **_table(
        "drift_cmd",
        (
            "drift",
            "Check now whether the live objects of each service still match its last deployed\n"
            "revision (a server-side apply dry run; nothing is changed), and show the diff.",
        ),
    ),
    **_table(
        "instances_cmd",
        (
            "instances",
            "Application NAME in every environment: the applications of its template (`app\n"
            "promote` makes them), each with its versions, health read live, drift and last\n"
            "operation.",
        ),
    ),
}


class AppGroup(LazyGroup):
    """``kapstan app``: ``app_cmd``'s own commands, and ``COMMANDS`` mounted as they run."""

    table = COMMANDS
