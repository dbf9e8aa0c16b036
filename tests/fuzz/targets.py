"""The fuzz targets: Kapstan's front doors, each classifying what one input did.

An outcome is one of: accepted; refused with a clear error (a KapstanError printed by the
CLI, a 4xx with an error message from the API); a traceback (any other exception, a 5xx,
or an error without a message); or a partial write (refused, yet the store's content
tables changed). Targets keep their store open across inputs, as a server would.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import tempfile
import time
import traceback
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.main import main
from kapstan.store.crypto import generate_key
from tests.hostile import row_counts

ACCEPTED = "accepted"
REFUSED = "refused with a clear error"
TRACEBACK = "tracebacks"
PARTIAL = "partial writes"
OUTCOMES = (ACCEPTED, REFUSED, TRACEBACK, PARTIAL)


@dataclass
class Tally:
    """What a target did over many inputs, with the worst example of each bad outcome."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    slowest: float = 0.0

    def add(self, outcome: str, detail: str, seconds: float) -> None:
        self.counts[outcome] += 1
        self.slowest = max(self.slowest, seconds)
        if outcome in (TRACEBACK, PARTIAL):
            self.examples.setdefault(outcome, detail[:400])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class CliTarget(ABC):
    """The local CLI (``kapstan --db``) in process, on one SQLite store.

    Runs the entry point itself (``kapstan.cli.main.main``): its exit codes and error
    printing. A subclass says which command line a generated value becomes.
    """

    name = "cli"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / "kapstan.db"
        self.tally = Tally()
        self.env = {
            "KAPSTAN_DB": f"sqlite:///{self.db}",
            "KAPSTAN_SECRET_KEY": generate_key(),
            "KAPSTAN_USER": "fuzzer",
        }
        self.cli("config", "set", "base", "a=1")  # creates the store

    def cli(self, *args: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        with (
            _environment(self.env),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = main(list(args))
        return code, err.getvalue()

    @abstractmethod
    def argv(self, value: Any) -> list[str]:
        """The command line that feeds ``value`` to the target."""

    def run(self, value: Any) -> str:
        before = row_counts(self.db)
        started = time.perf_counter()
        try:
            code, err = self.cli(*self.argv(value))
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            outcome, detail = TRACEBACK, _where(exc)
        else:
            outcome, detail = _cli_outcome(code, err)
        if outcome != ACCEPTED and row_counts(self.db) != before:
            outcome, detail = PARTIAL, f"{detail} (rows {before} -> {row_counts(self.db)})"
        self.tally.add(outcome, detail, time.perf_counter() - started)
        return outcome


def _where(exc: BaseException) -> str:
    """``Type: message (at file:line)``: where in Kapstan an unexpected exception came from."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/kapstan/" in f.filename]
    at = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{at}"


def _cli_outcome(code: int, err: str) -> tuple[str, str]:
    if code == 0:
        return ACCEPTED, ""
    message = err.removeprefix("error:").strip()
    if code in (ExitCode.FAILED, ExitCode.USAGE) and len(message) >= 10 and "Traceback" not in err:
        return REFUSED, message
    return TRACEBACK, f"exit {code}: {err}"


class TemplateImport(CliTarget):
    name = "template import (CLI, local store)"

    def argv(self, value: Any) -> list[str]:
        folder = Path(tempfile.mkdtemp(dir=self.root))
        for path, text in value.items():
            (folder / path).write_text(text, encoding="utf-8", errors="surrogatepass")
        return ["template", "import", str(folder)]


class ConfigImport(CliTarget):
    name = "config import (CLI, local store)"

    def argv(self, value: Any) -> list[str]:
        file = Path(tempfile.mkstemp(dir=self.root, suffix=".yaml")[1])
        file.write_text(value, encoding="utf-8", errors="surrogatepass")
        return ["config", "import", "fuzz", str(file)]


class ComposeImport(CliTarget):
    name = "import compose (CLI, local store)"

    def argv(self, value: Any) -> list[str]:
        folder = Path(tempfile.mkdtemp(dir=self.root))
        file = folder / "docker-compose.yml"
        file.write_text(value, encoding="utf-8", errors="surrogatepass")
        return ["import", "compose", str(file), "--name", "fuzz"]


class ApiTarget:
    """The HTTP API in process (as tests/api drives it), as the administrator."""

    name = "API bodies (templates, configs, environments, deploy, apps)"

    def __init__(self, root: Path) -> None:
        from tests.api.conftest import open_api

        self.root = root
        self.tally = Tally()
        self._api = open_api(str(root / "kapstan.db"), root)
        self.api = next(self._api)
        self.db = root / "kapstan.db"

    def close(self) -> None:
        self._api.close()

    def run(self, value: tuple[str, str, Any]) -> str:
        method, path, body = value
        before = row_counts(self.db)
        started = time.perf_counter()
        try:
            response = self.api.client.request(
                method, path, json=body, headers=self.api.auth("root")
            )
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            outcome, detail = TRACEBACK, _where(exc)
        else:
            outcome, detail = _api_outcome(path, response.status_code, response.text)
        if outcome != ACCEPTED and row_counts(self.db) != before:
            outcome, detail = PARTIAL, f"{detail} (rows {before} -> {row_counts(self.db)})"
        self.tally.add(outcome, detail, time.perf_counter() - started)
        return outcome


def _api_outcome(path: str, status: int, text: str) -> tuple[str, str]:
    if status < 400:
        return ACCEPTED, ""
    if status < 500 and '"message"' in text:
        return REFUSED, text
    return TRACEBACK, f"{path}: {status} {text}"


def header() -> str:
    return f"{'target':<62} {'tried':>6} " + " ".join(OUTCOMES) + "  slowest"


def row(target: Any) -> str:
    """One target's counts, and its first traceback and partial write if any."""
    counts = target.tally.counts
    tried = sum(counts.values())
    cells = " ".join(f"{counts[o]:>{len(o)}}" for o in OUTCOMES)
    lines = [f"{target.name:<62} {tried:>6} {cells}  {target.tally.slowest:.2f}s"]
    for outcome, example in target.tally.examples.items():
        lines.append(f"    first {outcome}: {example}")
    return "\n".join(lines)


def report(targets: list[Any]) -> str:
    """The counts table the closing note quotes."""
    lines = [header(), *(row(t) for t in targets)]
    lines.append(f"peak memory of the process: {peak_rss_mb():.0f} MB")
    return "\n".join(lines)
