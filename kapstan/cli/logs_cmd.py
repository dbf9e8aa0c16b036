"""``kapstan env logs``: an environment's log collection rules, and the OpenTelemetry
Collector (a DaemonSet in its namespace) that carries them and its templates' rules out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kapstan.cli.common import OutputOpt, author
from kapstan.cli.output import Format, print_data
from kapstan.errors import InputError

if TYPE_CHECKING:
    from kapstan.actions.logrules import LogRulesView

app = typer.Typer(
    help="Log collection rules: which services' logs go where, collected by an "
    "OpenTelemetry Collector DaemonSet in the environment's namespace."
)

RulesFileArg = typer.Argument(..., help="YAML or JSON: a list of rules.")


@app.command("set")
def set_(
    ctx: typer.Context,
    name: str,
    rules_file: Path = RulesFileArg,
    output: Format = OutputOpt,
) -> None:
    """Make environment NAME's own rules those of RULES_FILE and apply the collector now."""
    from kapstan.cli.backend import open_backend
    from kapstan.logrules.rules import rules_from_text, to_json

    try:
        text = rules_file.read_text()
    except OSError as exc:
        raise InputError(f"{rules_file}: cannot read the rules file: {exc.strerror}") from None
    rules = [to_json(r) for r in rules_from_text(text, str(rules_file))]
    with open_backend(ctx) as backend:
        view = backend.logrules.set(name, rules, author=author())
    print_data(_record(view), output, "\n".join(_applied_lines(view)))


@app.command()
def show(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Environment NAME's rules, its templates' rules, and the collector configuration."""
    from kapstan.cli.backend import open_backend

    with open_backend(ctx) as backend:
        view = backend.logrules.show(name)
    print_data(_record(view), output, "\n".join(_lines(view)))


@app.command()
def clear(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Take environment NAME's own rules away (its templates' rules stay collected)."""
    from kapstan.cli.backend import open_backend

    with open_backend(ctx) as backend:
        view = backend.logrules.clear(name, author=author())
    print_data(_record(view), output, "\n".join(_applied_lines(view)))


@app.command()
def apply(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Render environment NAME's collector again and apply it (after a deploy that
    changed a template's log rules)."""
    from kapstan.cli.backend import open_backend

    with open_backend(ctx) as backend:
        view = backend.logrules.apply(name)
    print_data(_record(view), output, "\n".join(_applied_lines(view)))


def _record(view: LogRulesView) -> dict[str, Any]:
    from kapstan.logrules.rules import to_json

    return {
        "environment": view.environment,
        "namespace": view.namespace,
        "rules": [to_json(r) for r in view.rules],
        "templateRules": [to_json(r) for r in view.template_rules],
        "config": view.config,
        "applied": [_entry(e) for e in view.applied],
        "warnings": list(view.warnings),
        "removed": list(view.removed),
    }


def _applied_lines(view: LogRulesView) -> list[str]:
    applied = ", ".join(_entry(e) for e in view.applied)
    lines = [
        f"environment {view.environment}: log collector applied: {applied}"
        if applied
        else f"environment {view.environment}: no rule selects a deployed service: no collector"
    ]
    if view.removed:
        lines.append(f"removed: {', '.join(view.removed)}")
    return lines + [f"warning: {w}" for w in view.warnings]


def _lines(view: LogRulesView) -> list[str]:
    lines = [f"environment {view.environment} (namespace {view.namespace})"]
    for title, rules in (("rules", view.rules), ("template rules", view.template_rules)):
        lines.append(f"{title}:" if rules else f"{title}: none")
        for rule in rules:
            where = ", ".join(rule.services) or "every service"
            lines.append(f"  {rule.name}: {where} -> {rule.destination.kind}")
    lines += [f"warning: {w}" for w in view.warnings]
    applied = ", ".join(_entry(e) for e in view.applied) or "nothing"
    lines.append(f"applied: {applied}")
    if view.config:
        lines += ["collector configuration:", view.config.rstrip()]
    return lines


def _entry(entry: Any) -> str:
    return f"{entry['kind']} {entry.get('namespace', '')}/{entry['name']}"
