"""An environment's log collection rules at the HTTP edge: rules as written (see
``kapstan.logrules.rules``), and the collector configuration they render to."""

from __future__ import annotations

from typing import Any

from kapstan.schemas.base import Model


class LogRulesSetting(Model):
    """The environment's own rules, whole (an empty list clears them)."""

    rules: list[dict[str, Any]] = []


class LogRulesOut(Model):
    environment: str
    namespace: str
    rules: list[dict[str, Any]]  # the environment's own
    template_rules: list[dict[str, Any]]  # its applications' templates', per application
    config: str  # the collector's configuration (YAML); empty: no collector
    applied: list[str]  # "Kind namespace/name" of the collector's objects
    warnings: list[str] = []  # rules that select no deployed service
    removed: list[str] = []  # objects an apply deleted
