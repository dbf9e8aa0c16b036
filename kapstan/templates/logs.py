"""Reading kapstan.yaml's log rules (``logs:`` at the top, and under each service), each
error naming kapstan.yaml:line:column of the rule, the rule and the field."""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from kapstan.errors import InputError, TemplateError
from kapstan.logrules.rules import parse_rules
from kapstan.logrules.targets import check_services
from kapstan.model.logrules import LogRule
from kapstan.templates.specs import SERVICE_FIELDS, NodeReader


def template_logs(
    reader: NodeReader, top: Mapping[str, yaml.Node], services: list[str]
) -> tuple[LogRule, ...]:
    """Every rule of the template; a service's own rules name that service."""
    found: list[LogRule] = []
    if "logs" in top:
        found += _rules(reader, top["logs"], None)
    for service, node in reader.mapping(top["services"], "services").items():
        fields = reader.mapping(node, f"service {service!r}", SERVICE_FIELDS)
        if "logs" in fields:
            found += _rules(reader, fields["logs"], service)
    names: dict[str, str] = {}
    for rule in found:
        try:
            check_services(rule, services)
        except InputError as exc:
            raise TemplateError(exc.message) from None
        if rule.name in names:
            raise TemplateError(
                f"{rule.where}: log rule {rule.name!r} is named twice (also at "
                f"{names[rule.name]}); give each rule its own name"
            )
        names[rule.name] = rule.where
    return tuple(found)


def _rules(reader: NodeReader, node: yaml.Node, service: str | None) -> list[LogRule]:
    if not isinstance(node, yaml.SequenceNode):
        raise reader.fail(node, "logs must be a list of rules (see README: log collection)")
    items = [reader.data(item) for item in node.value]
    try:
        return list(
            parse_rules(
                items,
                lambda i: reader.where(node.value[i] if i >= 0 else node),
                service=service,
            )
        )
    except InputError as exc:  # the rule reader's: a template that cannot be loaded
        raise TemplateError(exc.message) from None
