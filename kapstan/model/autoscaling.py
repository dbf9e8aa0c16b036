"""A service's ``autoscaling:`` setting as values: range, metrics and scaling behaviour.

The shapes follow the HorizontalPodAutoscaler (autoscaling/v2) they render into:

- ``cpu``/``memory``: average utilization, percent of the containers' requests;
- ``metrics``: each one source — ``resource`` (cpu/memory by utilization or average value),
  ``pods`` (a per-pod custom metric, averaged over the pods), ``object`` (a metric that
  describes one object, an Ingress say) or ``external`` (a metric from outside the cluster);
- ``behavior``: per direction, the stabilization window, the policy selection and the
  policies (so many pods or percent per period).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MetricSource = Literal["resource", "pods", "object", "external"]
METRIC_SOURCES: tuple[MetricSource, ...] = ("resource", "pods", "object", "external")
TargetType = Literal["Utilization", "AverageValue", "Value"]
PolicyType = Literal["Pods", "Percent"]
POLICY_TYPES: tuple[PolicyType, ...] = ("Pods", "Percent")
SELECT_POLICIES = ("Max", "Min", "Disabled")


@dataclass(frozen=True)
class DescribedObject:
    """The object an ``object`` metric describes (``kind``/``name`` in the app's namespace)."""

    api_version: str
    kind: str
    name: str


@dataclass(frozen=True)
class MetricTarget:
    """One metric the autoscaler follows and the value it keeps it at."""

    source: MetricSource
    name: str  # the metric's name, or the resource's (cpu, memory)
    target: TargetType
    amount: str  # a percent for Utilization, else a Kubernetes quantity ("5Mi", "10k")
    selector: tuple[tuple[str, str], ...] = ()  # label equality, pods and external metrics
    described: DescribedObject | None = None  # object metrics only


@dataclass(frozen=True)
class ScalingPolicy:
    type: PolicyType
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScalingRules:
    """One direction of ``behavior``: None fields keep the Kubernetes defaults."""

    stabilization_window_seconds: int | None = None
    select_policy: str | None = None
    policies: tuple[ScalingPolicy, ...] = ()


@dataclass(frozen=True)
class Behavior:
    scale_up: ScalingRules | None = None
    scale_down: ScalingRules | None = None


@dataclass(frozen=True)
class Autoscaling:
    min: int = 1
    max: int = 1
    cpu: int | None = None  # target average utilization, percent
    memory: int | None = None
    metrics: tuple[MetricTarget, ...] = ()
    behavior: Behavior | None = None


@dataclass(frozen=True)
class ScalingCondition:
    """One of an HPA's conditions (AbleToScale, ScalingActive, ScalingLimited)."""

    type: str
    status: str  # "True", "False", "Unknown"
    reason: str
    message: str


@dataclass(frozen=True)
class AutoscalerStatus:
    """What a live HPA decided and why: read for ``app status``."""

    name: str
    current: int  # replicas the HPA last saw
    desired: int  # replicas it asks for (0 until it has computed a count)
    min: int
    max: int
    conditions: tuple[ScalingCondition, ...] = ()

    @property
    def reason(self) -> str:
        """The conditions in one line: ``ScalingActive=True (ValidMetricFound): the HPA ...``."""
        return "; ".join(
            f"{c.type}={c.status}" + (f" ({c.reason})" if c.reason else "") + f": {c.message}"
            for c in self.conditions
        )
