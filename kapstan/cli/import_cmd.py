"""``kapstan import``: docker-compose files, plain manifests and Helm charts as templates.

Each command translates first (bad input fails naming the file and line, before the store
is opened, so nothing is written), then saves a new template version and prints it, its
services and the report of what was not translated. Through a server (``--server``)
only the saving happens there: translating stays on this machine.
"""

from __future__ import annotations

from pathlib import Path

import typer

from kapstan.cli.backend import open_backend
from kapstan.cli.common import MessageOpt, OutputOpt, author
from kapstan.cli.output import Format, print_data
from kapstan.importers import ImportResult, import_compose, import_helm, import_manifests
from kapstan.importers.helmbin import ensure_helm
from kapstan.importers.helmrender import KubeTarget
from kapstan.sandbox.versions import KUBERNETES_VERSION

NameOpt = typer.Option(None, "--name", help="Template name (default: from the source).")
ComposeArg = typer.Argument(..., help="A docker-compose file.")
PathArg = typer.Argument(..., help="A manifest file, or a folder read recursively.")
ChartArg = typer.Argument(..., help="A chart folder or .tgz.")
ValuesOpt = typer.Option([], "--values", "-f", help="Values file (repeatable).")
ProfileOpt = typer.Option(
    [], "--profile", help="Also import the services of this compose profile (repeatable; '*': all)."
)
BuildOpt = typer.Option(False, "--build", help="Build helm from Go modules if it is missing.")
TargetEnvOpt = typer.Option(
    None,
    "--env",
    "-e",
    help="Render for this environment's cluster: its version and the API versions it serves.",
)
KubeVersionOpt = typer.Option(
    None,
    "--kube-version",
    help="Kubernetes version to render for (default: --env's cluster, else the sandbox's).",
)
ApiVersionsOpt = typer.Option(
    [], "--api-versions", "-a", help="An API version the target serves (repeatable), as helm's."
)
ChartDefaultsOpt = typer.Option(
    False, "--chart-defaults", help="Make the chart's own default values config keys too."
)

app = typer.Typer(help="Import docker-compose files, plain manifests and Helm charts.")


@app.command()
def compose(
    ctx: typer.Context,
    file: Path = ComposeArg,
    name: str | None = NameOpt,
    profile: list[str] = ProfileOpt,
    message: str = MessageOpt,
    output: Format = OutputOpt,
) -> None:
    """Translate a docker-compose FILE into a new template version.

    Services under `profiles:` are left out (and reported) unless one of their profiles
    is chosen with --profile, as `docker compose up` does.
    """
    _save(ctx, import_compose(file, name=name, profiles=profile), message, output)


@app.command()
def manifests(
    ctx: typer.Context,
    path: Path = PathArg,
    name: str | None = NameOpt,
    message: str = MessageOpt,
    output: Format = OutputOpt,
) -> None:
    """Group plain manifests at PATH into services of a new template version."""
    _save(ctx, import_manifests(path, name=name), message, output)


@app.command()
def helm(
    ctx: typer.Context,
    chart: Path = ChartArg,
    values: list[Path] = ValuesOpt,
    name: str | None = NameOpt,
    build: bool = BuildOpt,
    env: str | None = TargetEnvOpt,
    kube_version: str | None = KubeVersionOpt,
    api_versions: list[str] = ApiVersionsOpt,
    chart_defaults: bool = ChartDefaultsOpt,
    message: str = MessageOpt,
    output: Format = OutputOpt,
) -> None:
    """Render CHART with helm and import it; the values set become config keys."""
    binary = ensure_helm(progress=lambda m: typer.echo(m, err=True)) if build else None
    target = _target(ctx, env, kube_version, api_versions)
    result = import_helm(
        chart,
        values=values,
        name=name,
        helm=binary,
        target=target,
        chart_defaults=chart_defaults,
    )
    _save(ctx, result, message, output)


def _target(
    ctx: typer.Context, env: str | None, kube_version: str | None, api_versions: list[str]
) -> KubeTarget:
    """--env's cluster (asked now), else the versions given, else the sandbox's Kubernetes."""
    if env is not None:
        with open_backend(ctx) as backend:
            found = backend.environments.kubernetes(env)
        return KubeTarget(
            kube_version or found.kube_version,
            (*found.api_versions, *api_versions),
            found.source,
        )
    if kube_version is not None:
        return KubeTarget(kube_version, tuple(api_versions), "--kube-version")
    return KubeTarget(KUBERNETES_VERSION, tuple(api_versions), "the sandbox's version")


def format_result(result: ImportResult, version: int, created: bool) -> str:
    head = (
        f"template {result.name}@{version} saved"
        if created
        else f"template {result.name}: unchanged, still version {version}"
    )
    lines = [head, f"services: {', '.join(result.services)}"]
    if result.report:
        lines.append(f"report ({len(result.report)}):")
        lines += [f"  {line}" for line in result.report]
    else:
        lines.append("report: everything was translated")
    lines += format_equivalence(result)
    return "\n".join(lines)


def format_equivalence(result: ImportResult) -> list[str]:
    """The proof-of-equivalence section: what the rendered template still does differently."""
    if not result.source_objects:
        return ["equivalence: not checked (the importer gave no source objects)"]
    if not result.differences:
        return ["equivalence: the template renders to what the source renders to"]
    head = f"equivalence ({len(result.differences)} differences left after normalizing):"
    return [head] + [f"  {line}" for line in result.differences]


def _save(ctx: typer.Context, result: ImportResult, message: str, output: Format) -> None:
    with open_backend(ctx) as backend:
        saved = backend.templates.save_translation(result, author=author(), message=message)
    record = {
        "name": result.name,
        "version": saved.version.version,
        "saved": saved.created,
        "services": list(result.services),
        "report": list(result.report),
        "differences": list(result.differences),
    }
    print_data(record, output, format_result(result, saved.version.version, saved.created))
