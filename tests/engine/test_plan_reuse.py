"""``app deploy --yes`` runs the plan it just showed, instead of planning a second time.

Found in the deploy benchmark: the CLI planned (a GET of every object, a server-side dry
run of every one that exists) to show the plan, then the engine planned it all again
before its first write: 400 of the 814 requests of a one-key change, and seconds before
the first write at 50 services. A plan handed over is taken only while it still holds:
made of the same rendered content, over the same last revision. Otherwise, or for a
service it does not cover, the engine plans again from the cluster.

The cluster here refuses every call: a plan taken as handed over never reaches it, and
one made again does (the refusal shows it did).
"""

from __future__ import annotations

import dataclasses
from typing import cast

import pytest

from kapstan.actions.clock import SYSTEM_CLOCK
from kapstan.engine.deploy import Deployer, DeployOptions
from kapstan.engine.planning import ServicePlan
from kapstan.engine.ports import Cluster
from tests.engine.enginerun import (
    MemoryRevisions,
    RecordingJournal,
    Refusing,
    Revision,
    Untouched,
    config_map,
    target,
)

NS = "reuse"
TARGET = target(NS, {"a": [config_map("a", NS)], "b": [config_map("b", NS)]}, {"b": ("a",)})


def deployer(revisions: MemoryRevisions) -> Deployer:
    return Deployer(
        cast(Cluster, Refusing()),
        RecordingJournal(),
        revisions,
        TARGET,
        DeployOptions(),
        clock=SYSTEM_CLOCK,
    )


def shown(revisions: MemoryRevisions) -> list[ServicePlan]:
    """What a plan of ``a`` and ``b`` said just before: an update of each, over its last revision."""
    return [
        ServicePlan(s, "update", (), (), TARGET.services[s].hash, revisions.latest(s), ())
        for s in ("a", "b")
    ]


@pytest.fixture
def revisions() -> MemoryRevisions:
    kept = MemoryRevisions()
    for s in ("a", "b"):
        kept.latest_of[s] = Revision(3, "older", (), "deployed")
    return kept


def test_a_plan_just_shown_is_run_without_reading_the_cluster_again(
    revisions: MemoryRevisions,
) -> None:
    plans = shown(revisions)
    assert deployer(revisions).plan(["a", "b"], plans) == plans


def test_a_service_whose_content_changed_since_is_planned_again(
    revisions: MemoryRevisions,
) -> None:
    plans = shown(revisions)
    plans[1] = dataclasses.replace(plans[1], content_hash="another render")
    with pytest.raises(Untouched):
        deployer(revisions).plan(["a", "b"], plans)


def test_a_service_deployed_again_since_is_planned_again(revisions: MemoryRevisions) -> None:
    plans = shown(revisions)
    revisions.latest_of["a"] = Revision(4, "older", (), "deployed")
    with pytest.raises(Untouched):
        deployer(revisions).plan(["a", "b"], plans)


def test_a_service_the_shown_plan_lacks_is_planned(revisions: MemoryRevisions) -> None:
    with pytest.raises(Untouched):
        deployer(revisions).plan(["a", "b"], shown(revisions)[:1])
