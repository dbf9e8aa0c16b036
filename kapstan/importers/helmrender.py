"""Running ``helm template`` for an import: the target Kubernetes, a marker namespace.

Every rendering of one import uses the same arguments but the values files: the release
name, ``--namespace`` set to ``MARKER_NAMESPACE`` (so every place the chart writes its
namespace, ``metadata.namespace`` as much as ``db.<ns>.svc.cluster.local`` inside a
ConfigMap script, can be found and handed to the environment), and ``--kube-version`` /
``--api-versions`` of the target cluster (``KubeTarget``), so ``kubeVersion:`` checks and
``.Capabilities`` choose what that cluster serves.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from kapstan.errors import InputError
from kapstan.importers.manifestload import Doc, parse_manifests
from kapstan.importers.result import Report

RENDER_TIMEOUT = 120
# A DNS label no chart writes by chance; every occurrence is the release's namespace.
MARKER_NAMESPACE = "kpsns0marker"


@dataclass(frozen=True)
class KubeTarget:
    """The Kubernetes a chart is rendered for: ``v1.36.3`` and what it serves.

    ``api_versions``: group/versions and group/version/Kinds (helm's ``--api-versions``);
    empty means helm's built-in set for its own Kubernetes version.
    """

    kube_version: str
    api_versions: tuple[str, ...] = ()
    source: str = ""

    def describe(self) -> str:
        count = len(self.api_versions)
        served = f", {count} API version{'s' if count > 1 else ''}" if count else ""
        return f"Kubernetes {self.kube_version}{served}" + (
            f" ({self.source})" if self.source else ""
        )


@dataclass(frozen=True)
class HelmRun:
    """One chart rendered for one target; ``render`` takes the values files."""

    binary: Path
    release: str
    chart: Path
    target: KubeTarget | None
    shown: Path | None = None  # what errors name: the user's .tgz, not where it was unpacked

    def arguments(self, values: list[Path]) -> list[str]:
        args = [str(self.binary), "template", self.release, str(self.chart)]
        args += ["--namespace", MARKER_NAMESPACE]
        if self.target is not None:
            args += ["--kube-version", self.target.kube_version]
            for version in self.target.api_versions:
                args += ["--api-versions", version]
        for file in values:
            args += ["--values", str(file)]
        return args

    def output(self, values: list[Path]) -> str:
        """helm's output; InputError with helm's message if it fails."""
        try:
            done = subprocess.run(
                self.arguments(values),
                capture_output=True,
                text=True,
                timeout=RENDER_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise InputError(
                f"{self.shown or self.chart}: helm template took longer than {RENDER_TIMEOUT}s"
            ) from None
        if done.returncode != 0:
            stderr = done.stderr.strip()
            raise InputError(f"{self.shown or self.chart}: helm template failed: {stderr}")
        return done.stdout

    def render(self, values: list[Path], report: Report) -> list[Doc]:
        return split(self.output(values), report)


def split(output: str, report: Report) -> list[Doc]:
    """Rendered documents, each named by its ``# Source:`` template."""
    docs: list[Doc] = []
    quiet = Report()  # the marker namespace is removed everywhere: no line per object
    for chunk in output.split("\n---"):
        source = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in chunk.splitlines()
                if ln.startswith("# Source:")
            ),
            "helm output",
        )
        found: set[str] = set()
        docs.extend(
            parse_manifests(chunk, source, f"helm template output ({source})", quiet, found)
        )
        for ns in found - {MARKER_NAMESPACE}:
            report.add(f"{source}", f"namespace {ns} removed: the environment's namespace is used")
    return docs


def chart_of(source: str) -> str:
    """The (sub)chart a ``# Source:`` path belongs to: ``blog`` or ``blog/charts/cache``."""
    return source.split("/templates/", 1)[0]
