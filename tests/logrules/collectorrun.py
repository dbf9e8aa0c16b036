"""Running the real collector (built from Go modules) on a configuration until its file
exporters hold what a test waits for, bounded in time; reading their OTLP-JSON output."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from kapstan import otelcol
from kapstan.logrules.objects import config_text

RUN_LIMIT = 90.0  # seconds: the collector's own flush periods are 1 and 5 s

Records = list[dict[str, Any]]


def records(path: Path) -> Records:
    """Each log record of an OTLP-JSON file exporter output, with its resource attributes."""
    found: Records = []
    if not path.exists():
        return found
    for line in path.read_text().splitlines():
        for resource_logs in json.loads(line)["resourceLogs"]:
            attrs = {
                a["key"]: next(iter(a["value"].values()))
                for a in resource_logs["resource"].get("attributes", [])
            }
            for scope in resource_logs["scopeLogs"]:
                for record in scope["logRecords"]:
                    body = record.get("body", {}).get("stringValue", "")
                    found.append({"body": body, "resource": attrs})
    return found


def run_collector(config: Mapping[str, Any], work: Path, done: Callable[[], bool]) -> None:
    """Check ``config`` with ``otelcol validate``, run the collector on it until ``done()``
    (its log in the failure otherwise), then stop it."""
    binary = otelcol.ensure_collector(progress=lambda _m: None)
    config_file = work / "config.yaml"
    config_file.write_text(config_text(config))
    otelcol.validate(binary, config_file)
    log_file = work / "collector.log"
    with log_file.open("w") as log:
        process = subprocess.Popen([str(binary), f"--config={config_file}"], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + RUN_LIMIT
            while time.monotonic() < deadline and process.poll() is None:
                if done():
                    return
                time.sleep(0.2)
            pytest.fail(
                f"the collector wrote no complete output; its log:\n{log_file.read_text()[-3000:]}"
            )
        finally:
            process.terminate()
            process.wait(timeout=30)
