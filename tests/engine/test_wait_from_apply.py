"""A wait for readiness starts from what the apply answered, not from a second read.

Found in the deploy benchmark: after applying a service, the engine read every object
that is not done once applied (a Service, a Deployment) again before following it: 100
of the 508 requests of 50 services, each costing the deploy's one CPU. The apiserver's
answer to the apply is that same object, as written; a wait given it reads nothing.
"""

from __future__ import annotations

from typing import cast

import pytest

from kapstan.actions.clock import SYSTEM_CLOCK
from kapstan.engine.ports import Cluster
from kapstan.engine.waiting import wait_ready
from kapstan.model.rendered import KubeObject
from kapstan.render.resources import key_of
from tests.engine.enginerun import Refusing, Untouched

NS = "answers"


def deployment(available: int) -> KubeObject:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NS, "generation": 2, "uid": "u"},
        "spec": {"replicas": 1},
        "status": {
            "observedGeneration": 2,
            "replicas": 1,
            "updatedReplicas": 1,
            "readyReplicas": available,
            "availableReplicas": available,
        },
    }


SERVICE: KubeObject = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": NS},
    "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.9", "ports": [{"port": 80}]},
}


def test_a_wait_given_the_apply_answers_reads_nothing_back() -> None:
    objects = [SERVICE, deployment(1)]
    waited = wait_ready(
        cast(Cluster, Refusing()),
        objects,
        timeout=30,
        clock=SYSTEM_CLOCK,
        answers={key_of(o): o for o in objects},
    )
    assert (waited.ok, waited.message) == (True, "ready")


def test_an_object_without_an_answer_is_read() -> None:
    objects = [SERVICE, deployment(1)]
    with pytest.raises(Untouched, match="get"):
        wait_ready(
            cast(Cluster, Refusing()),
            objects,
            timeout=30,
            clock=SYSTEM_CLOCK,
            answers={key_of(SERVICE): SERVICE},
        )
