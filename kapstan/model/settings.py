"""Per-service settings that generate or shape objects: strategy, autoscaling, exposure.

Each value comes from kapstan.yaml and can be overridden per environment by a config key
named ``<service>.<setting>`` (for example ``api.autoscaling.max`` or ``web.expose.host``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Re-exported: settings are read as one family (kapstan.model.settings.Autoscaling).
from kapstan.model.autoscaling import Autoscaling as Autoscaling

Strategy = Literal["rolling", "recreate", "blue-green"]
STRATEGIES: tuple[Strategy, ...] = ("rolling", "recreate", "blue-green")
EXPOSE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")


@dataclass(frozen=True)
class Exposure:
    type: str = "ClusterIP"
    port: int = 80
    target_port: int | None = None  # default: the workload's first container port
    host: str | None = None  # set: an Ingress routes host/path to the Service
    path: str = "/"


@dataclass(frozen=True)
class BlueGreen:
    keep_old_seconds: int = 300  # the old colour stays this long, for an instant switch back
    health_path: str | None = None  # optional HTTP check through the apiserver's service proxy
    health_port: int | None = None


@dataclass(frozen=True)
class ServiceSettings:
    strategy: Strategy = "rolling"
    blue_green: BlueGreen = field(default_factory=BlueGreen)
    autoscaling: Autoscaling | None = None
    expose: Exposure | None = None


# The config keys that override settings, relative to ``<service>.``; values parsed as YAML scalars.
OVERRIDE_KEYS = (
    "strategy",
    "autoscaling.min",
    "autoscaling.max",
    "autoscaling.cpu",
    "autoscaling.memory",
    "expose.type",
    "expose.port",
    "expose.targetPort",
    "expose.host",
    "expose.path",
    "blueGreen.keepOldSeconds",
)
