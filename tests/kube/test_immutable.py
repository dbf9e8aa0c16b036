"""An immutable Job, told by the apiserver's structured refusal, on the real sandbox.

Each Status body here is captured from the sandbox's apiserver by the test itself: a
Job's changed pod template (refused: ``spec.template`` "field is immutable"), and an
invalid change to a Job whose *name* says "immutable" (refused for another field). Only
the first is immutable; the engine deletes and creates again only that one, and never
deletes a Job the apiserver refused for any other reason.
"""

from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapstan.actions.clock import SYSTEM_CLOCK
from kapstan.engine.applying import apply_objects
from kapstan.engine.inflight import ApplyPool
from kapstan.errors import ClusterImmutableError, ClusterInvalidError
from kapstan.kube import KubeClient
from kapstan.kube.errors import from_status, immutable_fields
from kapstan.model.operation import ServiceState, Step
from kapstan.sandbox import SandboxState

pytestmark = pytest.mark.cluster


def job(name: str, namespace: str, image: str = "busybox:1.36", backoff: int = 3) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "backoffLimit": backoff,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "main", "image": image}],
                }
            },
        },
    }


def raw_apply(state: SandboxState, obj: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Server-side apply ``obj`` past Kapstan's client: the apiserver's own status and body."""
    pki = Path(state.directory) / "pki"
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    meta = obj["metadata"]
    path = f"/apis/batch/v1/namespaces/{meta['namespace']}/jobs/{meta['name']}"
    with httpx.Client(base_url=state.server, verify=context, timeout=30.0) as http:
        answer = http.patch(
            path,
            params={"fieldManager": "kapstan-tests", "force": "true"},
            content=json.dumps(obj),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )
    body: dict[str, Any] = answer.json()
    return answer.status_code, body


@dataclass
class Refusals:
    template: dict[str, Any]  # a changed pod template
    named: dict[str, Any]  # an invalid backoffLimit, on a Job named "immutable-..."


@pytest.fixture(scope="module")
def refusals(kube: KubeClient, namespace: str, sandbox_cluster: SandboxState) -> Refusals:
    kube.apply(job("migrate", namespace))
    code, template = raw_apply(sandbox_cluster, job("migrate", namespace, image="busybox:1.37"))
    assert code == 422, template
    kube.apply(job("immutable-report", namespace))
    code, named = raw_apply(sandbox_cluster, job("immutable-report", namespace, backoff=-1))
    assert code == 422, named
    return Refusals(template, named)


def test_a_changed_job_template_is_refused_as_immutable_by_its_causes(refusals: Refusals) -> None:
    assert immutable_fields(refusals.template) == ("spec.template",)
    error = from_status(refusals.template, "Job shop/migrate")
    assert isinstance(error, ClusterImmutableError)
    assert error.fields == ("spec.template",)
    assert str(error).startswith("Job shop/migrate is invalid: spec.template: ")


def test_a_refusal_that_only_mentions_immutable_is_not_immutable(refusals: Refusals) -> None:
    assert "immutable" in refusals.named["message"]  # the substring a text check would take
    assert immutable_fields(refusals.named) == ()
    error = from_status(refusals.named, "Job shop/immutable-report")
    assert isinstance(error, ClusterInvalidError)
    assert not isinstance(error, ClusterImmutableError)


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=60), code=st.sampled_from([400, 409, 422, 500]))
def test_no_message_text_makes_a_refusal_immutable(
    refusals: Refusals, text: str, code: int
) -> None:
    """Whatever the message and details name say, only the causes decide."""
    named = {**refusals.named, "code": code, "message": f"{text} field is immutable {text}"}
    named["details"] = {**named["details"], "name": f"{text}field is immutable"}
    assert immutable_fields(named) == ()
    template = {**refusals.template, "code": code, "message": text}
    assert immutable_fields(template) == (("spec.template",) if code == 422 else ())


@dataclass
class Recorded:
    events: list[tuple[str, str]] = field(default_factory=list)

    def event(self, status: str, message: str, *, service: str = "", resource: str = "") -> None:
        self.events.append((status, message))

    def service_state(
        self, service: str, step: Step, message: str = "", revision: int | None = None
    ) -> None:
        pass

    def service_states(self, states: Sequence[ServiceState]) -> None:
        pass

    def check(self) -> None:
        pass


@pytest.fixture
def job_name(kube: KubeClient, namespace: str) -> Iterator[str]:
    name = f"immutable-{uuid.uuid4().hex[:6]}"
    yield name
    kube.delete("batch/v1", "Job", name, namespace)


def test_the_engine_replaces_a_job_whose_template_changed(
    kube: KubeClient, namespace: str, job_name: str
) -> None:
    first = kube.apply(job(job_name, namespace))
    journal = Recorded()
    changed = job(job_name, namespace, image="busybox:1.37")
    apply_objects(kube, [changed], journal, service="jobs", clock=SYSTEM_CLOCK, pool=ApplyPool())
    live = kube.get("batch/v1", "Job", job_name, namespace)
    assert live is not None and live["metadata"]["uid"] != first["metadata"]["uid"]
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1.37"
    assert journal.events == [
        ("replacing", "its pod template is immutable: deleting and creating it again"),
        ("applied", "server-side apply"),
    ]


def test_the_engine_never_deletes_a_job_refused_for_another_reason(
    kube: KubeClient, namespace: str, job_name: str
) -> None:
    """Its name says "immutable"; a message check took that for an immutable template."""
    first = kube.apply(job(job_name, namespace))
    journal = Recorded()
    with pytest.raises(ClusterInvalidError, match=r"spec\.backoffLimit") as refused:
        invalid = job(job_name, namespace, backoff=-1)
        apply_objects(
            kube, [invalid], journal, service="jobs", clock=SYSTEM_CLOCK, pool=ApplyPool()
        )
    assert not isinstance(refused.value, ClusterImmutableError)
    live = kube.get("batch/v1", "Job", job_name, namespace)
    assert live is not None and live["metadata"]["uid"] == first["metadata"]["uid"]
    assert [status for status, _ in journal.events] == ["failed"]
