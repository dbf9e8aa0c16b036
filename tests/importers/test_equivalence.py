"""The proof's normalizer and comparison (pure): what is ignored, and what is reported."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kapstan.importers.equivalence import Difference, differences, normalize

Obj = dict[str, Any]


def _deployment() -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "example.com/web:1.2",
                            "ports": [{"containerPort": 8080}],
                            "env": [
                                {"name": "DB_HOST", "value": "db.shop.svc.cluster.local"},
                                {"name": "DB_PASSWORD", "value": "hunter2"},
                                {"name": "MODE", "value": "fast"},
                            ],
                        },
                        {"name": "sidecar", "image": "example.com/proxy:latest"},
                    ]
                },
            },
        },
    }


def _service() -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def _secret() -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "auth"},
        "data": {"password": "aHVudGVyMg=="},
    }


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _as_kapstan_renders(obj: Obj, namespace: str) -> Obj:
    """What a render and the API server add: namespace, labels, annotations, defaults."""
    out = copy.deepcopy(obj)
    meta = out["metadata"]
    meta["namespace"] = namespace
    meta.setdefault("labels", {}).update(
        {"app.kubernetes.io/managed-by": "kapstan", "kapstan.io/app": "a"}
    )
    meta["annotations"] = {"kapstan.io/template": "t", "deployment.kubernetes.io/revision": "3"}
    meta["uid"] = "0f0f"
    out["status"] = {"replicas": 1}
    if out["kind"] == "Deployment":
        out["spec"]["replicas"] = 1
        out["spec"]["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
        }
        pod = out["spec"]["template"]
        pod["metadata"]["labels"]["kapstan.io/service"] = "web"
        pod["metadata"]["annotations"] = {"kapstan.io/config-checksum": "abc"}
        pod["spec"].update({"restartPolicy": "Always", "dnsPolicy": "ClusterFirst"})
        web, sidecar = pod["spec"]["containers"]
        web["imagePullPolicy"], sidecar["imagePullPolicy"] = "IfNotPresent", "Always"
        web["ports"][0]["protocol"] = "TCP"
        web["env"][0]["value"] = f"db.{namespace}.svc.cluster.local"
        web["terminationMessagePath"] = "/dev/termination-log"
        web["resources"] = {}
        random.Random(7).shuffle(web["env"])
        pod["spec"]["containers"].reverse()
    if out["kind"] == "Service":
        out["spec"].update({"type": "ClusterIP", "clusterIP": "10.96.0.9", "ipFamilies": ["IPv4"]})
        out["spec"]["ports"][0]["protocol"] = "TCP"
    if out["kind"] == "Secret":
        out["stringData"] = {"password": "hunter2"}
        del out["data"]
        out["type"] = "Opaque"
    return out


def test_what_a_render_and_the_server_add_is_not_a_difference() -> None:
    source = [_deployment(), _service(), _secret()]
    rendered = [_as_kapstan_renders(o, "kapstan-proof") for o in reversed(source)]
    source[0]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = (
        "db.shop.svc.cluster.local"
    )
    found = differences(
        source, rendered, source_namespace="shop", template_namespace="kapstan-proof"
    )
    assert found == []


def test_each_remaining_difference_is_named_by_object_and_path() -> None:
    source = [
        _deployment(),
        _service(),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
    ]
    rendered = [
        _deployment(),
        _service(),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
    ]
    web = rendered[0]["spec"]["template"]["spec"]["containers"][0]
    web["env"][2]["value"] = "slow"
    web["ports"][0]["containerPort"] = "8080"  # a string is not the number the source had
    rendered[1]["spec"]["type"] = "NodePort"
    assert [str(d) for d in differences(source, rendered)] == [
        "ConfigMap/x: only in the template",
        'Deployment/web: spec.template.spec.containers[web].env[MODE].value: source "fast", '
        'template "slow"',
        "Deployment/web: spec.template.spec.containers[web].ports[8080].containerPort: "
        'source 8080, template "8080"',
        "Namespace/shop: only in the source",
        'Service/web: spec.type: source (absent), template "NodePort"',
    ]


def test_secret_values_are_never_shown() -> None:
    source, rendered = [_deployment(), _secret()], [_deployment(), _secret()]
    rendered[1]["data"]["password"] = "c3dvcmRmaXNo"
    rendered[1]["data"]["token"] = "dG9rZW4="
    del rendered[0]["spec"]["template"]["spec"]["containers"][0]["env"][1]
    found = [str(d) for d in differences(source, rendered)]
    assert found == [
        "Deployment/web: spec.template.spec.containers[web].env[DB_PASSWORD]: "
        "source <redacted>, template (absent)",
        "Secret/auth: data.password: source <redacted>, template <redacted>",
        "Secret/auth: data.token: source (absent), template <redacted>",
    ]
    del rendered[0]["spec"]["template"]["spec"]["containers"][0]
    whole = str(differences(source, rendered)[0])
    assert "containers[web]: source {" in whole and "hunter2" not in whole


def test_a_headless_service_keeps_its_cluster_ip() -> None:
    headless = _service()
    headless["spec"]["clusterIP"] = "None"
    assert normalize(headless)["spec"]["clusterIP"] == "None"
    assert differences([_service()], [headless]) == [
        Difference("Service/web", "spec.clusterIP", "(absent)", '"None"')
    ]


names = st.text(alphabet="abcdefghij-", min_size=1, max_size=8)
scalars = st.one_of(st.integers(-5, 5), st.booleans(), names)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=25, deadline=None)
@given(spec=st.dictionaries(names, values, max_size=4), namespace=names)
def test_an_object_equals_itself_rendered_anywhere(spec: Obj, namespace: str) -> None:
    obj: Obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": spec}
    placed = copy.deepcopy(obj)
    placed["metadata"]["namespace"] = namespace
    placed["metadata"]["labels"] = {"kapstan.io/app": "a"}
    assert differences([obj], [placed]) == []
    assert normalize(normalize(obj)) == normalize(obj)


@settings(max_examples=25, deadline=None)
@given(before=values, after=values)
def test_any_change_of_a_value_is_reported_where_it_is(before: Any, after: Any) -> None:
    left: Obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"k": before},
    }
    right = copy.deepcopy(left)
    right["data"]["k"] = after
    same = _json(normalize(left)) == _json(normalize(right))  # 0 == False, but not in JSON
    found = differences([left], [right])
    assert (found == []) == same
    assert all(d.ref == "ConfigMap/c" and d.path.startswith("data") for d in found)
