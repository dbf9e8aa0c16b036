"""Loading the YAML fixtures captured from the sandbox (see each file's comment)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).parent / "fixtures"


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path.name}: a fixture is a mapping"
    return data


def health_fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


def explain_fixtures() -> list[Path]:
    return sorted((FIXTURES / "explain").glob("*.yaml"))
