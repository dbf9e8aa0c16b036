"""Environments (where) and applications (what, with which config, where)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Environment:
    """A deploy target: a kubeconfig context and a namespace, with its own config."""

    name: str
    cluster: str
    namespace: str
    config_name: str


@dataclass(frozen=True)
class Application:
    """A template version deployed into an environment with a config version."""

    name: str
    environment: str
    template_name: str
    template_version: int
    config_name: str
    config_version: int
