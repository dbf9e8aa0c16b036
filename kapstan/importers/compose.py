"""docker-compose files (the Compose Spec) to Kapstan templates.

The pipeline: read and check the file -> read top-level secrets and configs -> leave out
services of profiles not chosen -> name services (DNS-safe) -> find services others wait to
complete (they become Jobs) -> translate each service -> infer calls from environment
values, commands and delivered files -> give a Service to each service others name that has
none -> assemble and parse. See ``composeservice`` for the per-key rules.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from kapstan.errors import InputError
from kapstan.importers.assembly import KubeObject, ServiceOut, assemble, image_keys
from kapstan.importers.composecontext import ComposeContext
from kapstan.importers.composedeps import depends_on
from kapstan.importers.composefiles import definitions
from kapstan.importers.composeobjects import service_object, service_port
from kapstan.importers.composerefs import addresses
from kapstan.importers.composeservice import ServiceTranslator
from kapstan.importers.composevars import Variables, read_env_file
from kapstan.importers.names import dns_label, unique
from kapstan.importers.proof import prove
from kapstan.importers.references import referenced
from kapstan.importers.result import ImportResult, Report
from kapstan.importers.sources import read_text
from kapstan.importers.yamlio import load_single
from kapstan.model.values import Scalar
from kapstan.render.configdelivery import pod_templates
from kapstan.render.placeholders import has_placeholder
from kapstan.render.placeholders import parse as parse_placeholders
from kapstan.templates.folders import resolve_inside

_TOP_REPORTED = {"networks": "pods share one cluster network"}
_TOP_TRANSLATED = ("services", "volumes", "name", "version", "secrets", "configs")


def import_compose(
    path: str | os.PathLike[str], *, name: str | None = None, profiles: Sequence[str] = ()
) -> ImportResult:
    """Translate the compose file at ``path``; InputError names file:line on bad input.

    Services under ``profiles:`` are imported only when one of theirs is in ``profiles``
    (``*``: all), as ``docker compose --profile`` starts them.
    """
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
    ctx.sources, notes = definitions(file, lines, data)
    ctx.add_lines(notes)
    services = _chosen(ctx, services, profiles)
    _name_services(ctx, services)
    _find_jobs(ctx, services)
    translated = [ServiceTranslator(ctx, s, spec) for s, spec in services.items()]
    outs = [t.translate() for t in translated]
    _infer_calls(ctx, translated)
    _serve_named(ctx, translated)
    config = {**ctx.variables.config, **ctx.config}
    promote = image_keys(o for out in outs for o in out.objects)
    result = assemble(name or ctx.project, outs, config, report, promote)
    return prove(replace(result, source_objects=_source_objects(outs, config)))


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
        elif key not in _TOP_TRANSLATED and not key.startswith("x-"):
            ctx.report.add(where, "not translated")


def _chosen(
    ctx: ComposeContext, services: dict[str, dict[str, Any]], profiles: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The services compose starts with ``profiles`` chosen; the others go to ``skipped``."""
    every = {str(p) for spec in services.values() for p in spec.get("profiles") or ()}
    unknown = sorted(set(profiles) - every - {"*"})
    if unknown:
        raise InputError(
            f"{ctx.file}: profile {', '.join(unknown)} names no service; "
            f"profiles of this file: {', '.join(sorted(every)) or 'none'}"
        )
    out = {}
    for service, spec in services.items():
        own = tuple(str(p) for p in spec.get("profiles") or ())
        if not own or "*" in profiles or set(own) & set(profiles):
            out[service] = spec
            continue
        ctx.skipped[service] = own
        ctx.add(
            service,
            ("profiles",),
            f"not imported: under profile {', '.join(own)}, not chosen "
            f"(import with --profile {own[0]} to include it)",
        )
    return out


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


def _known(ctx: ComposeContext) -> dict[str, str]:
    """Names other services may use for each service: compose's and Kapstan's."""
    return {k.lower(): v for k, v in ctx.names.items()} | {v: v for v in ctx.names.values()}


def _infer_calls(ctx: ComposeContext, translated: list[ServiceTranslator]) -> None:
    """A service whose environment (``db:5432``), command (``--broker=amqp://queue``) or
    delivered file (``proxy_pass http://api:8000``) names another service calls it."""
    known = _known(ctx)
    for t in translated:
        for env_name, value in t.env_values:
            for target in referenced(env_name, value, known):
                if target != t.name and target not in t.out.calls:
                    t.out.call(target)
                    t.add(("environment",), f"calls {target} inferred from {env_name}")
        for where, text in t.texts:
            for ref in addresses(text, known):
                if ref.target != t.name and ref.target not in t.out.calls:
                    t.out.call(ref.target)
                    t.add((), f"calls {ref.target} inferred from {where}: {ref.address}")


def _serve_named(ctx: ComposeContext, translated: list[ServiceTranslator]) -> None:
    """A service others name but with no ports/expose gets a Service on the named ports."""
    known = _known(ctx)
    ports: dict[str, dict[int, str]] = {}  # target -> port -> the first reference to it
    portless: dict[str, str] = {}  # target -> a reference that names no port
    for t in translated:
        for where, text in [*((f"environment {n}", v) for n, v in t.env_values), *t.texts]:
            for ref in addresses(text, known):
                if ref.target == t.name:
                    continue
                said = f"{t.name} {where}: {ref.address}"
                if ref.port is None:
                    portless.setdefault(ref.target, said)
                else:
                    ports.setdefault(ref.target, {}).setdefault(ref.port, said)
        for env_name, value in t.env_values:
            for target in referenced(env_name, value, known):
                if target != t.name and target not in ports:
                    portless.setdefault(target, f"{t.name} environment {env_name}: {value}")
    for t in translated:
        if t.service_ports or t.source in ctx.jobs:
            continue
        if t.name in ports:
            found = ports[t.name]
            t.out.objects.insert(
                1, service_object(t.name, [service_port(p) for p in sorted(found)])
            )
            said = "; ".join(f"port {p} from {found[p]}" for p in sorted(found))
            t.add((), f"has no ports or expose, but others name it: Service {t.name} made ({said})")
        elif t.name in portless:
            t.add(
                (),
                f"has no ports or expose and is named without a port ({portless[t.name]}): "
                f"no Service is made, so the name {t.name} does not resolve; add expose",
            )


def _source_objects(outs: list[ServiceOut], config: dict[str, Scalar]) -> tuple[KubeObject, ...]:
    """What the compose model means in Kubernetes objects, with its literal values: the
    translated objects with each key replaced by its compose value, and each variable of
    ``env:`` written into its containers (for the proof of equivalence)."""
    out: list[KubeObject] = []
    for s in outs:
        for obj in s.objects:
            literal: KubeObject = _literal(obj, config)  # a new tree: obj is kept
            for template in pod_templates(literal):
                for container in template["spec"].get("containers", []):
                    env = container.setdefault("env", [])
                    env += [{"name": n, "value": str(config.get(k, ""))} for k, n in s.env.items()]
            out.append(literal)
    return tuple(out)


def _literal(value: Any, config: dict[str, Scalar]) -> Any:
    if isinstance(value, str) and has_placeholder(value):
        parts = [
            p if isinstance(p, str) else config.get(p.key, p.default or "")
            for p in parse_placeholders(value)
        ]
        return parts[0] if len(parts) == 1 else "".join(str(p) for p in parts)
    if isinstance(value, list):
        return [_literal(v, config) for v in value]
    if isinstance(value, dict):
        return {k: _literal(v, config) for k, v in value.items()}
    return value
