"""The fuzz suite (#12 "Also"): hostile input at every reading front door.

For each target, hypothesis generates inputs (alias and merge bombs, deep nesting, wrong
shapes, PyYAML's unbuildable scalars, control characters, random JSON) and every one must
be accepted or refused with a clear error: no traceback, no 5xx, and after a refusal no
new row in the store (template versions, config versions, ...). Time and memory stay
bounded: a per-test timeout, and the process's peak memory may not grow by more than
MEMORY_MB over the suite (an alias bomb read once would take gigabytes).

The budget is small here; ``scripts/adversarial_counts.py`` runs the same strategies with
a larger one and prints the counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz import strategies, targets

EXAMPLES = 25
MEMORY_MB = 400
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def memory_before() -> Iterator[float]:
    before = targets.peak_rss_mb()
    yield before
    grown = targets.peak_rss_mb() - before
    assert grown < MEMORY_MB, f"peak memory grew by {grown:.0f} MB during the fuzz suite"


def _check(target: Any) -> None:
    bad = {o: target.tally.examples.get(o) for o in (targets.TRACEBACK, targets.PARTIAL)}
    assert target.tally.counts[targets.TRACEBACK] == 0, bad
    assert target.tally.counts[targets.PARTIAL] == 0, bad
    assert sum(target.tally.counts.values()) >= EXAMPLES


@pytest.mark.timeout(120)
def test_template_import_never_tracebacks_nor_half_writes(
    tmp_path_factory: pytest.TempPathFactory, memory_before: float
) -> None:
    target = targets.TemplateImport(tmp_path_factory.mktemp("templates"))

    @FUZZ
    @given(strategies.template_files())
    def run(files: dict[str, str]) -> None:
        assert target.run(files) in (targets.ACCEPTED, targets.REFUSED)

    run()
    _check(target)


@pytest.mark.timeout(120)
def test_config_import_never_tracebacks_nor_half_writes(
    tmp_path_factory: pytest.TempPathFactory, memory_before: float
) -> None:
    target = targets.ConfigImport(tmp_path_factory.mktemp("configs"))

    @FUZZ
    @given(strategies.config_texts())
    def run(text: str) -> None:
        assert target.run(text) in (targets.ACCEPTED, targets.REFUSED)

    run()
    _check(target)


@pytest.mark.timeout(120)
def test_compose_import_never_tracebacks_nor_half_writes(
    tmp_path_factory: pytest.TempPathFactory, memory_before: float
) -> None:
    target = targets.ComposeImport(tmp_path_factory.mktemp("compose"))

    @FUZZ
    @given(strategies.compose_texts())
    def run(text: str) -> None:
        assert target.run(text) in (targets.ACCEPTED, targets.REFUSED)

    run()
    _check(target)


@pytest.mark.timeout(180)
def test_api_bodies_never_answer_5xx_nor_half_write(
    tmp_path_factory: pytest.TempPathFactory, memory_before: float
) -> None:
    root: Path = tmp_path_factory.mktemp("api")
    target = targets.ApiTarget(root)
    try:

        @settings(FUZZ, max_examples=2 * EXAMPLES)
        @given(strategies.api_requests())
        def run(request: tuple[str, str, Any]) -> None:
            assert target.run(request) in (targets.ACCEPTED, targets.REFUSED)

        run()
    finally:
        target.close()
    _check(target)
