"""The OpenTelemetry Collector that carries out log rules, built once from Go modules.

The OpenTelemetry Collector Builder (``go.opentelemetry.io/collector/cmd/builder``, pinned)
generates a distribution from a manifest listing only the components a rule can use; the
binary lands in ``<cache_root>/otelcol-<version>/otelcol-kapstan``. Kapstan runs it to
check a rendered configuration (``otelcol validate``) and the tests run it on log files.

The builder's own ``go mod tidy`` also resolves the components' *test* dependencies, and
the Go module proxy does not serve every one of them; so the builder only generates the
sources here (``--skip-get-modules``), the go.mod is written from the manifest, and
``go mod tidy -e`` resolves what the binary itself imports.

The Elasticsearch exporter is not in the local build: no release of it at this collector
release is served by the Go module proxy. Rules may still send to Elasticsearch: the
cluster's collector runs the upstream contrib image (``kapstan.logrules.objects``), which
has it; ``validate`` says which exporter it could not check.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from kapstan import gobuild
from kapstan.errors import BuildError, InputError
from kapstan.gobuild import Progress

CORE_VERSION = "v0.165.0"  # the collector core and its Builder
STABLE_VERSION = "v1.71.0"  # the core's 1.x modules of the same release
CONTRIB_VERSION = "v0.165.1"
BUILDER = "go.opentelemetry.io/collector/cmd/builder"
CORE = "go.opentelemetry.io/collector"
CONTRIB = "github.com/open-telemetry/opentelemetry-collector-contrib"
NAME = "otelcol-kapstan"
COMPONENTS = {
    "receivers": [f"{CONTRIB}/receiver/filelogreceiver {CONTRIB_VERSION}"],
    "processors": [f"{CORE}/processor/batchprocessor {CORE_VERSION}"],
    "exporters": [
        f"{CORE}/exporter/otlpexporter {CORE_VERSION}",
        f"{CORE}/exporter/otlphttpexporter {CORE_VERSION}",
        f"{CONTRIB}/exporter/fileexporter {CONTRIB_VERSION}",
        f"{CONTRIB}/exporter/kafkaexporter {CONTRIB_VERSION}",
    ],
    "providers": [
        f"{CORE}/confmap/provider/envprovider {STABLE_VERSION}",
        f"{CORE}/confmap/provider/fileprovider {STABLE_VERSION}",
    ],
}
# Exporter types a rule can render that the local build lacks (see the module docstring).
NOT_BUILT = ("elasticsearch",)
VALIDATE_TIMEOUT = 60.0  # seconds


def cached_collector(root: Path | None = None) -> Path:
    """Where the built collector lives (whether or not it is built yet)."""
    return (root or gobuild.cache_root()) / f"otelcol-{CORE_VERSION}" / NAME


def find_collector(root: Path | None = None) -> Path | None:
    found = cached_collector(root)
    return found if found.exists() else None


def manifest(output: Path) -> dict[str, object]:
    """The Builder's manifest: the distribution and its components, nothing else."""
    return {
        "dist": {"name": NAME, "description": "Kapstan log collector", "output_path": str(output)},
        **{kind: [{"gomod": mod} for mod in mods] for kind, mods in COMPONENTS.items()},
    }


def go_mod() -> str:
    requires = [mod for mods in COMPONENTS.values() for mod in mods]
    requires += [f"{CORE}/otelcol {CORE_VERSION}", f"{CORE}/component {STABLE_VERSION}"]
    lines = "".join(f"\t{r}\n" for r in requires)
    return f"module kapstan.local/otelcolbuild\n\ngo 1.25\n\nrequire (\n{lines})\n"


def ensure_collector(progress: Progress = print, root: Path | None = None) -> Path:
    """The cached collector, built from Go modules if it is missing (minutes, once)."""
    target = cached_collector(root)
    if target.exists():
        return target
    go = gobuild.find_go("the log collector is built")
    progress(f"building the OpenTelemetry Collector {CORE_VERSION} (a few minutes, once)")
    work = gobuild.workdir("otelcol")
    log = work / "build.log"
    bins = work / "bin"
    bins.mkdir()
    what = "the OpenTelemetry Collector"
    env = {"GOBIN": str(bins)}
    gobuild.run_go(go, ["install", "-trimpath", f"{BUILDER}@{CORE_VERSION}"], work, what, log, env)
    source = work / "src"
    (work / "manifest.yaml").write_text(yaml.safe_dump(manifest(source), sort_keys=False))
    _generate(bins / "builder", work, log)
    (source / "go.mod").write_text(go_mod())
    gobuild.run_go(go, ["mod", "tidy", "-e", "-compat=1.25"], source, what, log)
    args = ["build", "-trimpath", "-ldflags", "-s -w", "-o", NAME, "."]
    gobuild.run_go(go, args, source, what, log)
    gobuild.install(source / NAME, target)
    shutil.rmtree(work, ignore_errors=True)
    return target


def _generate(builder: Path, work: Path, log: Path) -> None:
    args = [str(builder), "--config", "manifest.yaml", "--skip-get-modules", "--skip-compilation"]
    with log.open("ab") as out:
        done = subprocess.run(args, cwd=work, stdout=out, stderr=out, check=False)
    if done.returncode != 0:
        raise BuildError(
            f"the Collector Builder failed (exit {done.returncode}); log {log}:\n"
            f"{gobuild.log_tail(log)}"
        )


def validate(binary: Path, config_file: Path) -> None:
    """InputError with the collector's own words when it refuses ``config_file``."""
    try:
        done = subprocess.run(
            [str(binary), "validate", f"--config={config_file}"],
            capture_output=True,
            text=True,
            timeout=VALIDATE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BuildError(
            f"`{binary} validate` did not answer in {VALIDATE_TIMEOUT:.0f} s; is it the "
            "collector kapstan.otelcol built?"
        ) from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise InputError(
            f"the OpenTelemetry Collector refuses the configuration rendered from the log "
            f"rules ({config_file}):\n" + "\n".join(f"    {line}" for line in said)
        )
