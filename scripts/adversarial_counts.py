"""Run the fuzz suite's strategies with a larger budget and print per-target counts.

    python scripts/adversarial_counts.py [--examples N] [--seed S]

For each front door (template import, config import, compose import through the local
CLI; the API's writing endpoints in process): how many inputs were tried, accepted,
refused with a clear error, ended in a traceback (or a 5xx), or left a partial write
(refused, yet the store changed). The first traceback and partial write of each target is
printed under it. The closing note of issue 12 quotes this output.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz import strategies, targets


def run(target: Any, strategy: st.SearchStrategy[Any], examples: int, at_seed: int) -> None:
    """Feed ``examples`` inputs to ``target``; never fail, so hypothesis never shrinks."""

    @seed(at_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def feed(value: Any) -> None:
        target.run(value)

    feed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=500, help="inputs per target")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kapstan-adversarial-") as tmp:
        root = Path(tmp)
        print(targets.header(), flush=True)
        for cls, strategy in (
            (targets.TemplateImport, strategies.template_files()),
            (targets.ConfigImport, strategies.config_texts()),
            (targets.ComposeImport, strategies.compose_texts()),
        ):
            folder = root / cls.__name__
            folder.mkdir()
            target = cls(folder)
            run(target, strategy, args.examples, args.seed)
            print(targets.row(target), flush=True)
        (root / "api").mkdir()
        api = targets.ApiTarget(root / "api")
        try:
            run(api, strategies.api_requests(), args.examples, args.seed)
        finally:
            api.close()
        print(targets.row(api))
    print(f"peak memory of the process: {targets.peak_rss_mb():.0f} MB")
    print(
        f"{args.examples} inputs per target, seed {args.seed}, "
        f"{time.perf_counter() - started:.0f} s in all"
    )


if __name__ == "__main__":
    main()
