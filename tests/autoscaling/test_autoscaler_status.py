"""An HPA's status read for ``app status``: counts and its conditions in order, one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kapstan.actions.status import ServiceStatus
from kapstan.cli.deploy_cmd import _autoscaler_cell
from kapstan.health.autoscalers import autoscaler_status
from kapstan.model.health import Health, HealthStatus

FIXTURE = Path(__file__).parent.parent / "health" / "fixtures" / "hpa-no-metrics.yaml"


def _hpa() -> dict[str, Any]:
    obj: dict[str, Any] = yaml.safe_load(FIXTURE.read_text())["object"]
    return obj


def test_counts_and_conditions_in_order_with_the_reason_in_one_line() -> None:
    hpa = _hpa()
    limited = {"type": "ScalingLimited", "status": "True", "reason": "TooFewReplicas"}
    hpa["status"]["conditions"].insert(0, {**limited, "message": "the desired count is below min"})
    got = autoscaler_status(hpa)
    assert (got.name, got.current, got.desired, got.min, got.max) == ("web", 3, 0, 3, 6)
    assert [c.type for c in got.conditions] == ["AbleToScale", "ScalingActive", "ScalingLimited"]
    assert got.reason.startswith(
        "AbleToScale=True (SucceededGetScale): the HPA controller was able to get the target's "
        "current scale; ScalingActive=False (FailedGetResourceMetric): the HPA was unable"
    )
    assert got.reason.endswith(
        "; ScalingLimited=True (TooFewReplicas): the desired count is below min"
    )


def test_an_hpa_the_controller_has_not_seen_yet_has_no_reason() -> None:
    hpa = _hpa()
    del hpa["status"]
    got = autoscaler_status(hpa)
    assert (got.current, got.desired, got.conditions, got.reason) == (0, 0, (), "")


def test_the_cli_cell_shows_counts_then_reason_and_a_dash_without_autoscaler() -> None:
    health = Health(HealthStatus.HEALTHY, "")
    plain = ServiceStatus("web", 1, "deployed", 3, 3, health, outdated=False)
    assert _autoscaler_cell(plain) == "-"
    scaled = ServiceStatus(
        "web", 1, "deployed", 3, 3, health, outdated=False, autoscaler=autoscaler_status(_hpa())
    )
    cell = _autoscaler_cell(scaled)
    assert cell.startswith("0 desired, 3 current (min 3, max 6); AbleToScale=True")
