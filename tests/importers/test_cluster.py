"""Each import deployed to the live sandbox, in its own namespace: every service ready.

The compose import is deployed by ``test_compose_sandbox`` (one project, every finding),
the Helm import by ``test_helm_findings`` (one chart, every finding).
"""

from __future__ import annotations

import pytest

from kapstan.importers import import_manifests
from tests.importers.conftest import MANIFESTS, Deploy

pytestmark = pytest.mark.cluster

DONE = {"ready", "unchanged"}


def test_manifest_import_deploys_and_every_service_becomes_ready(deploy_import: Deploy) -> None:
    result = import_manifests(MANIFESTS)
    steps = deploy_import(result)
    assert set(steps) == set(result.services) and len(steps) >= 12
    assert set(steps.values()) <= DONE, steps
