"""The Helm importer's pure pieces, without helm: isolating refused values, chart randomness,
hook order."""

from __future__ import annotations

import base64
from typing import Any

from kapstan.importers.helmdrift import settle
from kapstan.importers.helmhooks import order_hooks, take_hooks
from kapstan.importers.helmvalues import Leaf, Tracer, isolate, open_secret, sentinel
from kapstan.importers.manifestload import Doc
from kapstan.importers.result import Report
from kapstan.render.builtins import GENERATE

LEAVES = [Leaf(f"values.v{i}", (f"v{i}",), f"x{i}") for i in range(8)]


def test_a_value_named_in_helms_message_is_isolated_in_one_rendering() -> None:
    tried: list[int] = []

    def attempt(group: list[Leaf]) -> list[Any] | str:
        tried.append(len(group))
        if LEAVES[5] in group:
            return f'resourcesPreset "{sentinel(5, "x")}": choose nano or small'
        return []

    good, bad = isolate(LEAVES, attempt)
    assert bad == {"values.v5": 'resourcesPreset "<stand-in>": choose nano or small'}
    assert tried == [8, 7] and good == [([leaf for leaf in LEAVES if leaf.key != "values.v5"], [])]


def test_a_value_that_changes_the_objects_is_found_by_halving() -> None:
    def attempt(group: list[Leaf]) -> list[Any] | str:
        return "other objects" if LEAVES[2] in group or LEAVES[6] in group else []

    good, bad = isolate(LEAVES, attempt)
    assert bad == {"values.v2": "other objects", "values.v6": "other objects"}
    assert len(good) == 4  # v0-v1, v3, v4-v5, v7 rendered in groups


def _job(name: str, password: str = "") -> Doc:
    obj: dict[str, Any] = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}}
    obj["spec"] = {"template": {"metadata": {"labels": {"job": name}}}}
    return Doc("c/templates/j.yaml:1", obj)


def _secret(value: str) -> Doc:
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"pw": value}}
    return Doc("c/templates/s.yaml:1", obj)


def test_random_suffixes_are_cut_at_a_separator_and_random_secrets_generated() -> None:
    report = Report()
    first = [_job("app-migrate-fbbdy"), _secret("YWJj")]
    config = settle(first, [_job("app-migrate-fx1z9"), _secret("eHl6")], report)
    assert first[0].obj["metadata"]["name"] == "app-migrate"  # not app-migrate-f
    assert first[0].obj["spec"]["template"]["metadata"]["labels"] == {"job": "app-migrate"}
    assert config == {"generated.db.pw": GENERATE}
    assert first[1].obj["stringData"] == {"pw": "${generated.db.pw}"}
    assert "data" not in first[1].obj
    assert len(report.lines) == 2, report.lines  # the name and the secret, nothing else


def _hook(name: str, events: str, weight: str = "0") -> Doc:
    doc = _job(name)
    doc.obj["metadata"]["annotations"] = {"helm.sh/hook": events, "helm.sh/hook-weight": weight}
    return doc


def test_hooks_order_by_side_and_weight_and_tests_are_dropped() -> None:
    docs = [
        _hook("late", "pre-upgrade,pre-install", "5"),
        _hook("early", "pre-install", "-3"),
        _hook("after", "post-install"),
        _hook("probe", "test"),
        _hook("gone", "pre-delete"),
    ]
    report = Report()
    kept, hooks = take_hooks(docs, report)
    assert [d.name for d in kept] == ["late", "early", "after"]
    spec: dict[str, Any] = {"services": {"late": {}, "early": {}, "after": {}, "web": {}}}
    owners = {("Job", n): n for n in ("late", "early", "after")}
    charts = dict.fromkeys(("late", "early", "after", "web"), "c")
    order_hooks(spec, hooks, owners, charts, report)
    services = spec["services"]
    assert services["web"]["dependsOn"] == ["late", "early"]
    assert services["late"]["dependsOn"] == ["early"]
    assert services["after"]["dependsOn"] == ["web"]
    assert "dependsOn" not in services["early"]
    text = "\n".join(report.lines)
    assert "c/templates/j.yaml:1: Job: helm test hook (test): not imported" in text
    assert "Job gone: hook pre-delete: not imported" in text


def test_a_hook_order_that_would_close_a_cycle_is_left_out_and_reported() -> None:
    report = Report()
    _, hooks = take_hooks([_hook("seed", "pre-install")], report)
    # The seed Job calls the web Service, so it already waits for web.
    spec: dict[str, Any] = {"services": {"seed": {"dependsOn": ["web"]}, "web": {}}}
    order_hooks(spec, hooks, {("Job", "seed"): "seed"}, {"seed": "c", "web": "c"}, report)
    assert "dependsOn" not in spec["services"]["web"]
    assert "service web: dependsOn seed (hook order) left out: seed already waits for web" in (
        report.lines
    )


def test_a_value_hidden_by_b64enc_in_a_secret_is_traced_through_string_data() -> None:
    password = Leaf("values.auth.password", ("auth", "password"), "hunter2")

    def secret(text: str) -> dict[str, Any]:
        data = {"pw": base64.b64encode(text.encode()).decode(), "other": "eA=="}
        return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": data}

    real, marked = secret("hunter2"), secret(str(sentinel(0, "hunter2")))
    open_secret(real, marked)
    tracer = Tracer([password])
    traced = tracer.trace(real, marked)
    assert traced["stringData"] == {"pw": "${values.auth.password}"}
    assert traced["data"] == {"other": "eA=="}, "entries without a stand-in stay as they were"
    assert tracer.used == {0}


def test_a_hook_pod_becomes_a_job_ordered_like_one() -> None:
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "warm",
            "labels": {"app": "warm"},
            "annotations": {"helm.sh/hook": "post-install"},
        },
        "spec": {"containers": [{"name": "c", "image": "curl:8"}]},
    }
    report = Report()
    kept, hooks = take_hooks([Doc("c/templates/warm.yaml:1", pod)], report)
    (job,) = [d.obj for d in kept]
    assert (job["kind"], job["apiVersion"]) == ("Job", "batch/v1")
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["template"]["metadata"] == {"labels": {"app": "warm"}}
    assert "annotations" not in job["metadata"]
    assert [(h.key, h.before) for h in hooks] == [(("Job", "warm"), False)]
