"""The collector on the live sandbox, one environment for the module: a template's rules
and the environment's rules (``kapstan env logs set``) become a ServiceAccount, ConfigMap
and DaemonSet in the namespace that the apiserver takes and the DaemonSet controller runs
on every node; the configuration passes the real collector's own check; a change of rules
rolls the collectors; clearing keeps the template's rules; a bad rules file is named; a
deploy of a service a rule names brings it into the collector; and the real collector,
run on the sandbox's pod log files with the rules Kapstan keeps, collects the selected
lines."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapstan import otelcol, sandbox
from kapstan.kube import connect
from kapstan.logrules.collector import Scope, render_config
from kapstan.logrules.objects import COLLECTOR_NAME, CONFIG_FILE, CONFIG_HASH_ANNOTATION
from kapstan.logrules.rules import parse_rules
from kapstan.logrules.targets import ServiceTarget, workloads_of
from kapstan.sandbox import podlogs
from kapstan.store.crypto import generate_key
from tests.cluster.kube_helpers import wait_for
from tests.liveworld import kapstan, ok
from tests.logrules.collectorrun import records, run_collector

pytestmark = pytest.mark.cluster

KAPSTAN_YAML = """\
name: logged
services:
  api:
    manifests: [api.yaml]
    logs:
      - name: errors
        include: ['ERROR']
        multiline: {firstLine: '^\\d{4}-'}
        to: {loki: {endpoint: 'http://127.0.0.1:3100'}}
  web:
    manifests: [web.yaml]
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: NAME}
spec:
  replicas: 1
  selector: {matchLabels: {app: NAME}}
  template:
    metadata: {labels: {app: NAME}}
    spec:
      containers: [{name: app, image: registry.example.com/NAME:1}]
"""
ENV_RULES = """\
- name: web-out
  services: [web]
  exclude: ['GET /healthz']
  to: {otlp: {endpoint: '127.0.0.1:4317', insecure: true}}
"""


@dataclass(frozen=True)
class LogEnv:
    namespace: str
    kubeconfig: str
    folder: Path
    set_output: str  # `env logs set` before web was deployed
    deploy_output: str  # the deploy of web that followed


@pytest.fixture(scope="module")
def env(
    sandbox_cluster: sandbox.SandboxState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LogEnv]:
    """Environment dev, app shop's api (with a template rule) deployed, the environment's
    rule for web set, then web deployed (the collector follows the deploy)."""
    tmp = tmp_path_factory.mktemp("logrules")
    folder = tmp / "logged"
    folder.mkdir()
    (folder / "kapstan.yaml").write_text(KAPSTAN_YAML)
    for name in ("api", "web"):
        (folder / f"{name}.yaml").write_text(DEPLOYMENT.replace("NAME", name))
    (tmp / "rules.yaml").write_text(ENV_RULES)
    namespace = f"logs-{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAPSTAN_DB", f"sqlite:///{tmp / 'kapstan.db'}")
        patch.setenv("KAPSTAN_SECRET_KEY", generate_key())
        patch.setenv("KAPSTAN_USER", "ana")
        patch.delenv("KAPSTAN_SECRET_KEY_FILE", raising=False)
        patch.delenv("KAPSTAN_SERVER", raising=False)
        ok("template", "import", folder)
        kubeconfig = sandbox_cluster.kubeconfig
        ok("env", "create", "dev", "--kubeconfig", kubeconfig, "-n", namespace)
        ok("app", "create", "shop", "--template", "logged", "--env", "dev")
        ok("app", "deploy", "shop", "-s", "api", "--yes", "--timeout", "2m")
        set_output = ok("env", "logs", "set", "dev", tmp / "rules.yaml")
        deployed = ok("app", "deploy", "shop", "-s", "web", "--yes", "--timeout", "2m")
        try:
            yield LogEnv(namespace, str(kubeconfig), tmp, set_output, deployed)
        finally:
            with connect(kubeconfig) as kube:
                kube.delete("v1", "Namespace", namespace)


def live(env: LogEnv, kind: str) -> dict[str, Any] | None:
    api = "apps/v1" if kind == "DaemonSet" else "v1"
    with connect(env.kubeconfig) as kube:
        return kube.get(api, kind, COLLECTOR_NAME, env.namespace)


def config_of(env: LogEnv) -> str:
    found = live(env, "ConfigMap")
    assert found is not None
    return str(found["data"][CONFIG_FILE])


def test_the_collector_objects_are_applied_and_the_daemonset_runs(env: LogEnv) -> None:
    for kind in ("ServiceAccount", "ConfigMap", "DaemonSet"):
        found = live(env, kind)
        assert found is not None, kind
        assert found["metadata"]["labels"]["kapstan.io/environment"] == "dev"

    def ready() -> bool:
        status = (live(env, "DaemonSet") or {}).get("status") or {}
        wanted = status.get("desiredNumberScheduled", 0)
        return bool(wanted) and status.get("numberReady") == wanted

    wait_for("the collector DaemonSet ready on every node", ready, timeout=90)


def test_the_config_carries_both_rules_and_the_real_collector_takes_it(env: LogEnv) -> None:
    text = config_of(env)
    assert "file_log/shop-errors.shop.api" in text
    assert "file_log/web-out.shop.web" in text
    assert "http://127.0.0.1:3100/otlp" in text  # Loki: OTLP over HTTP
    config_file = env.folder / "live-config.yaml"
    config_file.write_text(text)
    otelcol.validate(otelcol.ensure_collector(progress=lambda _m: None), config_file)


def test_a_rule_for_an_undeployed_service_warns_and_its_deploy_brings_it_in(
    env: LogEnv,
) -> None:
    assert "warning: log rule 'web-out': web selects no deployed service" in env.set_output
    assert "file_log/web-out.shop.web" in config_of(env)  # applied by the deploy of web


def test_the_real_collector_reads_the_sandbox_pod_logs(
    env: LogEnv, sandbox_cluster: sandbox.SandboxState
) -> None:
    """The rules as Kapstan keeps them (the template's and the environment's, shown by
    `env logs show`), rendered over the deployed pods, destinations swapped for files,
    run by the real collector on the sandbox's kubelet-layout pod log folder."""
    shown = json.loads(ok("env", "logs", "show", "dev", "-o", "json"))
    out = env.folder / "out"
    out.mkdir()
    every = shown["rules"] + shown["templateRules"]
    rules = parse_rules(
        [{**r, "to": {"file": {"path": str(out / f"{r['name']}.json")}}} for r in every],
        lambda i: f"shown rule #{i + 1}",
    )
    with connect(env.kubeconfig) as kube:
        pods = {s: kube.list("v1", "Pod", env.namespace, labels={"app": s}) for s in ("api", "web")}
        targets = [
            ServiceTarget(
                "shop", s, workloads_of([kube.get("apps/v1", "Deployment", s, env.namespace) or {}])
            )
            for s in ("api", "web")
        ]
    api, web = pods["api"][0]["metadata"]["name"], pods["web"][0]["metadata"]["name"]
    trace = ["2026-12-06 ERROR payment failed", "\tat shop.Pay(Pay.java:1)", "2026-12-06 INFO fine"]
    sandbox.append_log(sandbox_cluster, env.namespace, api, "app", trace)
    sandbox.append_log(
        sandbox_cluster, env.namespace, web, "app", ["GET /healthz 200", "page served"]
    )
    log_root = podlogs.root(Path(sandbox_cluster.directory))
    scope = Scope("dev", env.namespace, log_root=str(log_root), start_at="beginning")
    found_api, found_web = out / "shop-errors.json", out / "web-out.json"
    run_collector(
        render_config(rules, targets, scope),
        env.folder,
        lambda: bool(records(found_api)) and bool(records(found_web)),
    )
    assert [r["body"] for r in records(found_api)] == [
        "2026-12-06 ERROR payment failed\n\tat shop.Pay(Pay.java:1)"
    ]
    assert records(found_api)[0]["resource"]["k8s.pod.name"] == api
    assert [r["body"] for r in records(found_web)] == ["page served"]
    assert records(found_web)[0]["resource"]["k8s.namespace.name"] == env.namespace


def test_show_lists_the_rules(env: LogEnv) -> None:
    shown = json.loads(ok("env", "logs", "show", "dev", "-o", "json"))
    assert [r["name"] for r in shown["rules"]] == ["web-out"]
    assert [r["name"] for r in shown["templateRules"]] == ["shop-errors"]
    assert shown["templateRules"][0]["services"] == ["shop/api"]


def test_a_bad_rules_file_is_named_with_line_and_field(env: LogEnv) -> None:
    bad = env.folder / "bad.yaml"
    bad.write_text(ENV_RULES.replace("GET /healthz", "(?<=x)"))
    code, _out, err = kapstan("env", "logs", "set", "dev", bad)
    assert code != 0
    assert f"{bad}:1:3" in err and "'web-out'" in err and "exclude" in err


def test_a_rule_change_rolls_the_collectors_and_clear_keeps_the_template_rules(
    env: LogEnv,
) -> None:
    def digest() -> str:
        found = live(env, "DaemonSet")
        assert found is not None
        return str(found["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION])

    before = digest()
    ok("env", "logs", "clear", "dev")
    assert digest() != before
    text = config_of(env)
    assert "web-out" not in text and "shop-errors" in text
