"""The resource policy: off, warn or reject workloads without requests and limits."""

from __future__ import annotations

import pytest

from kapstan.errors import InputError
from kapstan.model.rendered import RenderedService
from kapstan.plan import policy
from kapstan.render.render import render_app
from kapstan.templates.loader import parse_template

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api}}
spec:
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      containers:
      - name: api
        image: api:1
        resources: {resources}
      - name: sidecar
        image: proxy:1
        resources: {{requests: {{cpu: 10m, memory: 16Mi}}, limits: {{cpu: 50m, memory: 32Mi}}}}
"""


def _services(resources: str) -> list[RenderedService]:
    files = {
        "kapstan.yaml": "name: t\nservices:\n  api:\n    manifests: [api.yaml]\n",
        "api.yaml": MANIFEST.format(resources=resources),
    }
    return list(
        render_app(
            parse_template(files), {}, app="a", namespace="n", hash_key=None
        ).services.values()
    )


def test_only_the_container_missing_resources_is_named_with_what_it_lacks() -> None:
    found = policy.violations(_services("{requests: {cpu: 100m}}"))
    assert [v.describe() for v in found] == [
        "service 'api': Deployment api container 'api' has no requests.memory, limits.cpu, limits.memory"
    ]
    complete = "{requests: {cpu: 1, memory: 1Gi}, limits: {cpu: 1, memory: 1Gi}}"
    assert policy.violations(_services(complete)) == []


def test_warn_returns_lines_reject_refuses_and_off_is_silent() -> None:
    found = policy.violations(_services("{}"))
    assert policy.enforce("off", found) == []
    assert len(policy.enforce("warn", found)) == 1
    with pytest.raises(
        InputError,
        match=r"resource policy 'reject' .* refuses 1 container\(s\).*nothing was applied",
    ):
        policy.enforce("reject", found)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "warn"), ("reject", "reject"), ("off", "off")]
)
def test_policy_comes_from_the_config_key(value: str | None, expected: str) -> None:
    values = {} if value is None else {policy.POLICY_KEY: value}
    assert policy.policy_of(values) == expected


def test_an_unknown_policy_is_named() -> None:
    with pytest.raises(
        InputError, match=r"kapstan\.resourcePolicy must be one of off, warn, reject, not 'strict'"
    ):
        policy.policy_of({policy.POLICY_KEY: "strict"})
