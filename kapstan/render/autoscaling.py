"""The ``autoscaling:`` setting: validated from kapstan.yaml data, rendered as an HPA.

Pure. kapstan.yaml's shape (documented in the README's "Autoscaling" section)::

    autoscaling:
      min: 2
      max: 10
      cpu: 80                      # percent of requests (memory: likewise)
      metrics:
        - pods: network_receive_bytes_per_second
          average: 5Mi             # per pod
        - object: {kind: Ingress, name: web}
          metric: requests_per_second
          value: 10k               # or average: (divided by the pod count)
        - external: queue_messages_ready
          selector: {queue: orders}
          average: 30              # or value:
        - resource: memory
          average: 200Mi           # or utilization: 70
      behavior:
        scaleDown:
          stabilizationWindowSeconds: 300     # or "5m"
          selectPolicy: Min
          policies: [{type: Percent, value: 50, periodSeconds: 60}]

Every error names where the bad value is (``kapstan.yaml:line:column: service 'x'``, by
the ``locate`` callback) and the field (``autoscaling.metrics[1].value``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from kapstan.errors import InputError
from kapstan.model.autoscaling import (
    METRIC_SOURCES,
    POLICY_TYPES,
    SELECT_POLICIES,
    Autoscaling,
    Behavior,
    DescribedObject,
    MetricSource,
    MetricTarget,
    PolicyType,
    ScalingPolicy,
    ScalingRules,
    TargetType,
)
from kapstan.model.quantities import parse_quantity
from kapstan.model.rendered import KubeObject

Path = tuple[str | int, ...]
# Where the value at a path (relative to the service) was written: "kapstan.yaml:7:11: service 'api'".
Locate = Callable[[Path], str]

FIELDS = ("min", "max", "cpu", "memory", "metrics", "behavior")
_METRIC_FIELDS = (*METRIC_SOURCES, "metric", "selector", "utilization", "average", "value")
_RULE_FIELDS = ("stabilizationWindowSeconds", "selectPolicy", "policies")
_POLICY_FIELDS = ("type", "value", "periodSeconds")
_OBJECT_FIELDS = ("kind", "name", "apiVersion")
# The kinds an object metric usually describes, so ``apiVersion`` can be left out for them.
_API_VERSIONS = {
    "Ingress": "networking.k8s.io/v1",
    "Service": "v1",
    "Pod": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "ReplicaSet": "apps/v1",
}
_DURATION = re.compile(r"^(\d+)(s|m)$")
_METRIC_NAME = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:.\-/]*$")
# The apiserver's own bounds (autoscaling/v2 validation).
_MAX_WINDOW = 3600
_MAX_PERIOD = 1800


def _name(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class _Reader:
    """Checks values at paths under ``autoscaling``, failing with place and field."""

    def __init__(self, locate: Locate) -> None:
        self.locate = locate

    def fail(self, path: Path, message: str) -> InputError:
        return InputError(f"{self.locate(path)}: {_name(path)} {message}")

    def mapping(self, value: Any, path: Path, fields: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"must be a mapping with {', '.join(fields)}")
        for key in value:
            if key not in fields:
                raise InputError(
                    f"{self.locate((*path, str(key)))}: unknown field {key!r} in {_name(path)}; "
                    f"expected one of: {', '.join(fields)}"
                )
        return value

    def whole(self, value: Any, path: Path, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.fail(path, f"must be a whole number, not {value!r}")
        try:
            number = int(value)
        except ValueError:
            raise self.fail(path, f"must be a whole number, not {value!r}") from None
        if not low <= number <= high:
            raise self.fail(path, f"must be between {low} and {high}, not {number}")
        return number

    def seconds(self, value: Any, path: Path, low: int, high: int) -> int:
        """Whole seconds, or a duration "90s" / "5m"."""
        if isinstance(value, str) and (match := _DURATION.match(value.strip())):
            value = int(match[1]) * (60 if match[2] == "m" else 1)
        return self.whole(value, path, low, high)

    def quantity(self, value: Any, path: Path) -> str:
        bad = f"must be a quantity such as 5Mi, 10k or 0.5, not {value!r}"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(path, bad)
        text = str(value).strip()
        try:
            amount = parse_quantity(text)
        except ValueError:
            raise self.fail(path, bad) from None
        if amount <= 0:
            raise self.fail(path, f"must be above zero, not {text}")
        return text

    def text(self, value: Any, path: Path) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"must be a non-empty string, not {value!r}")
        return value.strip()

    def metric_name(self, value: Any, path: Path) -> str:
        name = self.text(value, path)
        if not _METRIC_NAME.match(name):
            raise self.fail(path, f"{name!r} is not a metric name (letters, digits, _ : . - /)")
        return name

    def labels(self, value: Any, path: Path) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, Mapping) or not value:
            raise self.fail(path, "must be a mapping of label: value (label equality)")
        out = []
        for key, item in value.items():
            if isinstance(item, bool | Mapping | list) or item is None:
                raise self.fail((*path, str(key)), f"must be a label value, not {item!r}")
            out.append((str(key), str(item)))
        return tuple(sorted(out))


def parse_autoscaling(raw: Any, locate: Locate) -> Autoscaling | None:
    """``autoscaling:`` as a value; None when the service does not autoscale."""
    if raw is None:
        return None
    r = _Reader(locate)
    top = r.mapping(raw, ("autoscaling",), FIELDS)
    low = r.whole(top.get("min", 1), ("autoscaling", "min"), 1, 10_000)
    high = r.whole(top.get("max", low), ("autoscaling", "max"), 1, 10_000)
    if high < low:
        raise InputError(
            f"{locate(('autoscaling', 'max'))}: autoscaling.max ({high}) is below "
            f"autoscaling.min ({low})"
        )
    cpu, mem = (
        r.whole(top[k], ("autoscaling", k), 1, 1000) if top.get(k) is not None else None
        for k in ("cpu", "memory")
    )
    metrics = _metrics(r, top.get("metrics"))
    if cpu is None and mem is None and not metrics:
        cpu = 80  # the usual default: an autoscaler needs at least one metric
    behavior = _behavior(r, top["behavior"]) if top.get("behavior") is not None else None
    return Autoscaling(low, high, cpu, mem, metrics, behavior)


def _metrics(r: _Reader, raw: Any) -> tuple[MetricTarget, ...]:
    if raw is None:
        return ()
    path: Path = ("autoscaling", "metrics")
    if not isinstance(raw, list):
        raise r.fail(path, "must be a list of metrics (each with one of pods, object, external)")
    return tuple(_metric(r, item, (*path, i)) for i, item in enumerate(raw))


def _metric(r: _Reader, raw: Any, path: Path) -> MetricTarget:
    entry = r.mapping(raw, path, _METRIC_FIELDS)
    sources = [s for s in METRIC_SOURCES if s in entry]
    if len(sources) != 1:
        raise r.fail(
            path,
            "must name exactly one source: resource, pods, object or external "
            f"(found {', '.join(sources) or 'none'})",
        )
    source: MetricSource = sources[0]
    allowed = {
        "resource": ("utilization", "average"),
        "pods": ("average",),
        "object": ("value", "average"),
        "external": ("value", "average"),
    }[source]
    given = [t for t in ("utilization", "average", "value") if t in entry]
    if len(given) != 1 or given[0] not in allowed:
        raise r.fail(
            path,
            f"a {source} metric needs exactly one target: {' or '.join(allowed)}"
            + (f" (found {', '.join(given)})" if given else ""),
        )
    kind = given[0]
    at = (*path, kind)
    target: TargetType
    if kind == "utilization":
        target, amount = "Utilization", str(r.whole(entry[kind], at, 1, 1000))
    else:
        target, amount = (
            ("Value" if kind == "value" else "AverageValue"),
            r.quantity(entry[kind], at),
        )
    extra = [k for k in ("metric", "selector") if k in entry]
    if source == "resource":
        name = r.text(entry["resource"], (*path, "resource"))
        if name not in ("cpu", "memory"):
            raise r.fail((*path, "resource"), f"must be cpu or memory, not {name!r}")
        if extra:
            raise r.fail((*path, extra[0]), "does not apply to a resource metric")
        return MetricTarget(source, name, target, amount)
    if source == "object":
        described = _described(r, entry["object"], (*path, "object"))
        if "metric" not in entry:
            raise r.fail(path, "an object metric names its metric: metric: requests_per_second")
        if "selector" in entry:
            raise r.fail((*path, "selector"), "does not apply to an object metric")
        name = r.metric_name(entry["metric"], (*path, "metric"))
        return MetricTarget(source, name, target, amount, described=described)
    if "metric" in entry:
        raise r.fail((*path, "metric"), f"is not used by a {source} metric: name it in {source}:")
    name = r.metric_name(entry[source], (*path, source))
    selector = r.labels(entry["selector"], (*path, "selector")) if "selector" in entry else ()
    return MetricTarget(source, name, target, amount, selector)


def _described(r: _Reader, raw: Any, path: Path) -> DescribedObject:
    obj = r.mapping(raw, path, _OBJECT_FIELDS)
    for key in ("kind", "name"):
        if key not in obj:
            raise r.fail(
                path,
                f"needs {key} (and apiVersion for kinds other than {', '.join(_API_VERSIONS)})",
            )
    kind = r.text(obj["kind"], (*path, "kind"))
    name = r.text(obj["name"], (*path, "name"))
    if "apiVersion" in obj:
        api_version = r.text(obj["apiVersion"], (*path, "apiVersion"))
    elif kind in _API_VERSIONS:
        api_version = _API_VERSIONS[kind]
    else:
        raise r.fail(path, f"needs apiVersion for kind {kind!r}")
    return DescribedObject(api_version, kind, name)


def _behavior(r: _Reader, raw: Any) -> Behavior:
    path: Path = ("autoscaling", "behavior")
    entry = r.mapping(raw, path, ("scaleUp", "scaleDown"))
    up, down = (
        _rules(r, entry[k], (*path, k)) if entry.get(k) is not None else None
        for k in ("scaleUp", "scaleDown")
    )
    return Behavior(up, down)


def _rules(r: _Reader, raw: Any, path: Path) -> ScalingRules:
    entry = r.mapping(raw, path, _RULE_FIELDS)
    window = entry.get("stabilizationWindowSeconds")
    select = entry.get("selectPolicy")
    if select is not None and select not in SELECT_POLICIES:
        raise r.fail(
            (*path, "selectPolicy"), f"must be one of {', '.join(SELECT_POLICIES)}, not {select!r}"
        )
    policies: tuple[ScalingPolicy, ...] = ()
    if entry.get("policies") is not None:
        if not isinstance(entry["policies"], list) or not entry["policies"]:
            raise r.fail(
                (*path, "policies"),
                "must be a list of {type: Pods|Percent, value: N, periodSeconds: N}",
            )
        policies = tuple(
            _policy(r, p, (*path, "policies", i)) for i, p in enumerate(entry["policies"])
        )
    return ScalingRules(
        r.seconds(window, (*path, "stabilizationWindowSeconds"), 0, _MAX_WINDOW)
        if window is not None
        else None,
        str(select) if select is not None else None,
        policies,
    )


def _policy(r: _Reader, raw: Any, path: Path) -> ScalingPolicy:
    entry = r.mapping(raw, path, _POLICY_FIELDS)
    missing = [k for k in _POLICY_FIELDS if k not in entry]
    if missing:
        raise r.fail(path, f"needs {', '.join(missing)} (type: Pods|Percent, value, periodSeconds)")
    kind = entry["type"]
    if kind not in POLICY_TYPES:
        raise r.fail((*path, "type"), f"must be Pods or Percent, not {kind!r}")
    policy_type: PolicyType = kind
    return ScalingPolicy(
        policy_type,
        r.whole(entry["value"], (*path, "value"), 1, 100_000),
        r.seconds(entry["periodSeconds"], (*path, "periodSeconds"), 1, _MAX_PERIOD),
    )


def raw_autoscaling(a: Autoscaling) -> dict[str, Any]:
    """The value back in kapstan.yaml's shape (config keys are laid over it, then re-read)."""
    raw: dict[str, Any] = {"min": a.min, "max": a.max}
    raw |= {k: v for k, v in (("cpu", a.cpu), ("memory", a.memory)) if v is not None}
    if a.metrics:
        raw["metrics"] = [_raw_metric(m) for m in a.metrics]
    if a.behavior is not None:
        raw["behavior"] = {
            key: _hpa_rules(rules)  # kapstan.yaml spells behavior as the HPA does
            for key, rules in (
                ("scaleUp", a.behavior.scale_up),
                ("scaleDown", a.behavior.scale_down),
            )
            if rules is not None
        }
    return raw


def _raw_metric(m: MetricTarget) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if m.source == "object" and m.described is not None:
        d = m.described
        out |= {"object": {"kind": d.kind, "name": d.name, "apiVersion": d.api_version}}
        out["metric"] = m.name
    else:
        out[m.source] = m.name
    if m.selector:
        out["selector"] = dict(m.selector)
    key = {"Utilization": "utilization", "AverageValue": "average", "Value": "value"}[m.target]
    out[key] = int(m.amount) if m.target == "Utilization" else m.amount
    return out


def render_hpa(workload: KubeObject, a: Autoscaling) -> KubeObject:
    """The autoscaling/v2 HorizontalPodAutoscaler scaling ``workload`` as ``a`` says."""
    metrics = [
        _resource(name, "Utilization", str(v))
        for name, v in (("cpu", a.cpu), ("memory", a.memory))
        if v is not None
    ] + [_hpa_metric(m) for m in a.metrics]
    name = workload["metadata"]["name"]
    spec: dict[str, Any] = {
        "scaleTargetRef": {
            "apiVersion": workload["apiVersion"],
            "kind": workload["kind"],
            "name": name,
        },
        "minReplicas": a.min,
        "maxReplicas": a.max,
        "metrics": metrics,
    }
    if a.behavior is not None:
        spec["behavior"] = {
            key: _hpa_rules(rules)
            for key, rules in (
                ("scaleUp", a.behavior.scale_up),
                ("scaleDown", a.behavior.scale_down),
            )
            if rules is not None
        }
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": spec,
    }


def _target(target: TargetType, amount: str) -> dict[str, Any]:
    if target == "Utilization":
        return {"type": "Utilization", "averageUtilization": int(amount)}
    if target == "AverageValue":
        return {"type": "AverageValue", "averageValue": amount}
    return {"type": "Value", "value": amount}


def _resource(name: str, target: TargetType, amount: str) -> dict[str, Any]:
    return {"type": "Resource", "resource": {"name": name, "target": _target(target, amount)}}


def _hpa_metric(m: MetricTarget) -> dict[str, Any]:
    if m.source == "resource":
        return _resource(m.name, m.target, m.amount)
    metric: dict[str, Any] = {"name": m.name}
    if m.selector:
        metric["selector"] = {"matchLabels": dict(m.selector)}
    target = _target(m.target, m.amount)
    if m.source == "pods":
        return {"type": "Pods", "pods": {"metric": metric, "target": target}}
    if m.source == "external":
        return {"type": "External", "external": {"metric": metric, "target": target}}
    assert m.described is not None  # parse_autoscaling sets it for every object metric
    described = {
        "apiVersion": m.described.api_version,
        "kind": m.described.kind,
        "name": m.described.name,
    }
    return {
        "type": "Object",
        "object": {"describedObject": described, "metric": metric, "target": target},
    }


def _hpa_rules(rules: ScalingRules) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rules.stabilization_window_seconds is not None:
        out["stabilizationWindowSeconds"] = rules.stabilization_window_seconds
    if rules.select_policy is not None:
        out["selectPolicy"] = rules.select_policy
    if rules.policies:
        out["policies"] = [
            {"type": p.type, "value": p.value, "periodSeconds": p.period_seconds}
            for p in rules.policies
        ]
    return out
