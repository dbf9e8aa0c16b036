"""docker-compose files (the Compose Spec) to Kapstan templates.

The pipeline: read and check the file -> name services (DNS-safe) -> find services others
wait to complete (they become Jobs) -> translate each service -> infer calls from
environment values -> assemble and parse. See ``composeservice`` for the per-key rules.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kapstan.errors import InputError
from kapstan.importers.assembly import assemble
from kapstan.importers.composecontext import ComposeContext
from kapstan.importers.composedeps import depends_on
from kapstan.importers.composeservice import ServiceTranslator
from kapstan.importers.composevars import Variables, read_env_file
from kapstan.importers.names import dns_label, unique
from kapstan.importers.references import referenced
from kapstan.importers.result import ImportResult, Report
from kapstan.importers.sources import read_text
from kapstan.importers.yamlio import load_single
from kapstan.templates.folders import resolve_inside

_TOP_REPORTED = {
    "networks": "pods share one cluster network",
    "secrets": "use secret config keys or Kubernetes Secrets",
    "configs": "deliver files from config keys (files: in kapstan.yaml)",
}


def import_compose(path: str | os.PathLike[str], *, name: str | None = None) -> ImportResult:
    """Translate the compose file at ``path``; InputError names file:line on bad input."""
    file = Path(path)
    data, lines = load_single(read_text(file), str(file))
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise InputError(f"{file}: a compose file must be a mapping with 'services', not {kind}")
    services = _services(file, data, lines)
    volumes = data.get("volumes") or {}
    if not isinstance(volumes, dict):
        raise InputError(
            f"{file}:{lines.get(('volumes',), 0)}: the top-level 'volumes' must be a mapping "
            "of volume names (to their options, or nothing)"
        )
    dotenv = file.parent / ".env"
    report = Report()
    ctx = ComposeContext(
        file=file,
        lines=lines,
        report=report,
        variables=Variables(_read_dotenv(file, dotenv), report),
        project=dns_label(str(data.get("name") or file.resolve().parent.name), "app"),
        volumes=dict(volumes),
    )
    _top_level(ctx, data)
    _name_services(ctx, services)
    _find_jobs(ctx, services)
    translated = [ServiceTranslator(ctx, s, spec) for s, spec in services.items()]
    outs = [t.translate() for t in translated]
    _infer_calls(ctx, translated)
    config = {**ctx.variables.config, **ctx.config}
    return assemble(name or ctx.project, outs, config, report)


def _read_dotenv(file: Path, dotenv: Path) -> dict[str, str]:
    """The project's ``.env``, if any; a link leaving the compose folder is refused."""
    if not dotenv.is_file():
        return {}
    return read_env_file(resolve_inside(file.parent, dotenv), str(file))


def _services(file: Path, data: dict[str, Any], lines: dict[Any, int]) -> dict[str, dict[str, Any]]:
    services = data.get("services")
    line = lines.get(("services",), 0)
    if not isinstance(services, dict) or not services:
        raise InputError(f"{file}:{line}: 'services' must be a non-empty mapping of services")
    out = {}
    for service, spec in services.items():
        if spec is not None and not isinstance(spec, dict):
            raise InputError(
                f"{file}:{lines.get(('services', service), line)}: service {service!r} must be a mapping"
            )
        out[str(service)] = spec or {}
    return out


def _top_level(ctx: ComposeContext, data: dict[str, Any]) -> None:
    for key in data:
        where = f"{ctx.file.name}:{ctx.lines.get((key,), 0)}: {key}"
        if key in _TOP_REPORTED:
            ctx.report.add(where, f"not translated: {_TOP_REPORTED[key]}")
        elif key not in ("services", "volumes", "name", "version") and not key.startswith("x-"):
            ctx.report.add(where, "not translated")


def _name_services(ctx: ComposeContext, services: dict[str, dict[str, Any]]) -> None:
    taken: set[str] = set()
    for service in services:
        safe = unique(dns_label(service), taken)
        ctx.names[service] = safe
        if safe != service:
            ctx.add(
                service,
                (),
                f"renamed to {safe} (service names must be DNS labels); "
                f"values that name {service} must now name {safe}",
            )


def _find_jobs(ctx: ComposeContext, services: dict[str, dict[str, Any]]) -> None:
    for service, spec in services.items():
        for other, options in depends_on(ctx, service, spec.get("depends_on")).items():
            if options.get("condition") == "service_completed_successfully":
                ctx.jobs.add(other)


def _infer_calls(ctx: ComposeContext, translated: list[ServiceTranslator]) -> None:
    """A service whose environment names another service (``db:5432``) calls it."""
    known = {k.lower(): v for k, v in ctx.names.items()} | {v: v for v in ctx.names.values()}
    for t in translated:
        for env_name, value in t.env_values:
            for target in referenced(env_name, value, known):
                if target != t.name and target not in t.out.calls:
                    t.out.call(target)
                    t.add(("environment",), f"calls {target} inferred from {env_name}")
