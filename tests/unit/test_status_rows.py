"""``app status``'s row for a service: a failed last revision is never shown as healthy."""

from __future__ import annotations

from kapstan.actions.status import ServiceStatus
from kapstan.cli.deploy_cmd import _status_row, revision_trouble
from kapstan.model.health import Health, HealthStatus

HEALTHY = Health(HealthStatus.HEALTHY, "Deployment web: 2/2 ready")


def _status(revision: int | None, status: str, health: Health = HEALTHY) -> ServiceStatus:
    return ServiceStatus("web", revision, status, 2, 2, health, outdated=False)


def test_a_failed_revision_over_healthy_pods_shows_failed() -> None:
    row = _status_row(_status(3, "failed"))
    assert row[1] == "3 (failed)" and row[3] == "failed"
    assert row[4].startswith("last revision 3 failed; Deployment web")


def test_a_deployed_revision_shows_its_live_health() -> None:
    # The last column is the last drift check's: "-" never checked.
    row = ("web", "3", "2/2", "healthy", HEALTHY.message, "-")
    assert _status_row(_status(3, "deployed")) == row
    assert revision_trouble(_status(3, "deployed")) == ""


def test_never_deployed_and_interrupted_are_trouble() -> None:
    assert revision_trouble(_status(None, "never deployed")) == "never deployed"
    assert revision_trouble(_status(2, "interrupted")) == "last revision 2 interrupted"
    assert _status_row(_status(2, "pending"))[3] == "progressing"
