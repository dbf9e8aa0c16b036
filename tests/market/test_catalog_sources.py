"""A catalog source the system refuses as a file name is "not a directory", not a crash
(found by the API fuzzer through POST /api/v1/market/catalogs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.errors import InputError
from kapstan.market.registry import MarketPaths, add_catalog


@pytest.mark.parametrize("source", ["0" * 4096, "a/" + "b" * 300])
def test_an_unusable_source_is_refused_by_name(tmp_path: Path, source: str) -> None:
    paths = MarketPaths(tmp_path / "markets.json", tmp_path / "clones")
    with pytest.raises(InputError, match="neither a directory nor a git URL"):
        add_catalog(paths, "team", source)
    assert not paths.registry.exists()
