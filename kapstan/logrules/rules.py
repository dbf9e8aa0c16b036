"""Reading log rules from plain data (kapstan.yaml's ``logs:``, an environment's rules file
or the API), every error naming where the rule was written, the rule and the field.

A rule, as written::

    - name: errors                 # optional; rule-1, rule-2... by position
      services: [api, shop/worker] # environment and top-level rules only; default: all
      containers: [app]            # default: every container of the service's pods
      streams: [stdout, stderr]    # default: both
      files: [/var/log/app/*.log]  # instead of the streams: files in an emptyDir volume
      include: ['ERROR|WARN']      # keep only lines matching one of these (RE2)
      exclude: ['GET /healthz']    # drop lines matching one of these
      multiline: {firstLine: '^\\d{4}-'}  # a line not matching joins the entry before
      to: {loki: {endpoint: http://loki.logging:3100}}

``to`` is exactly one of: ``otlp`` {endpoint, protocol: grpc|http, insecure},
``elasticsearch`` {endpoints, index}, ``kafka`` {brokers, topic, encoding}, ``loki``
{endpoint, insecure}, ``http`` {endpoint, encoding: json|proto, insecure}, ``file`` {path}.
No credentials (headers, passwords): the rules are stored and shown in plain text, so
a destination that needs them is not expressible yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml

from kapstan.errors import InputError
from kapstan.model.logrules import DESTINATION_KINDS, STREAMS, Destination, LogRule
from kapstan.render.yamlnodes import iter_documents, position, to_data

RULE_FIELDS = (
    "name",
    "services",
    "containers",
    "streams",
    "files",
    "include",
    "exclude",
    "multiline",
    "to",
)
# A service's own rules select that service: they may not name others.
SERVICE_RULE_FIELDS = tuple(f for f in RULE_FIELDS if f != "services")
DESTINATION_FIELDS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required fields, optional fields)
    "otlp": (("endpoint",), ("protocol", "insecure")),
    "elasticsearch": (("endpoints",), ("index",)),
    "kafka": (("brokers",), ("topic", "encoding")),
    "loki": (("endpoint",), ("insecure",)),
    "http": (("endpoint",), ("encoding", "insecure")),
    "file": (("path",), ()),
}
PROTOCOLS = ("grpc", "http")
HTTP_ENCODINGS = ("json", "proto")
KAFKA_ENCODINGS = ("otlp_proto", "otlp_json", "raw")
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_SERVICE_REF = re.compile(
    r"([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z"
)
_URL = re.compile(r"https?://[^\s/]+(/\S*)?\Z")
_HOST_PORT = re.compile(r"[A-Za-z0-9.\-\[\]:]+:\d{1,5}\Z")
# Go's regexp (RE2) has no look-around and no back-references: refused here, not by the
# collector at start-up, where the error would be in a pod's log.
_NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=|[*+?}][+]")

Locate = Callable[[int], str]


def parse_rules(
    items: Sequence[Any], locate: Locate, *, service: str | None = None
) -> tuple[LogRule, ...]:
    """Rules from a list of mappings; ``locate(i)`` names where item ``i`` was written
    ("kapstan.yaml:12:7"). ``service``: the rules sit under that service in kapstan.yaml
    and select it alone. InputError names the place, the rule and the field at fault."""
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise InputError(f"{locate(-1)}: logs must be a list of rules (mappings)")
    found: list[LogRule] = []
    for index, item in enumerate(items):
        rule = parse_rule(item, locate(index), index, service=service)
        if any(r.name == rule.name for r in found):
            raise InputError(
                f"{rule.where}: log rule {rule.name!r} is named twice; give each rule its own name"
            )
        found.append(rule)
    return tuple(found)


def rules_from_text(text: str, file: str) -> tuple[LogRule, ...]:
    """An environment's rules file (YAML or JSON): a list of rules, or ``{rules: [...]}``;
    errors name ``file:line:column`` of the rule at fault."""
    documents = list(iter_documents(text, file))
    if len(documents) != 1:
        raise InputError(
            f"{file}: expected one YAML document (a list of rules), found {len(documents)}"
        )
    loader, _, root = documents[0]
    node = root
    if isinstance(root, yaml.MappingNode):
        found = [v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "rules"]
        if len(root.value) != 1 or not found:
            raise InputError(f"{file}:{_at(root)}: expected a list of rules, or {{rules: [...]}}")
        node = found[0]
    if not isinstance(node, yaml.SequenceNode):
        raise InputError(f"{file}:{_at(node)}: expected a list of rules")
    items = [to_data(loader, item, file) for item in node.value]
    return parse_rules(items, lambda i: f"{file}:{_at(node.value[i] if i >= 0 else node)}")


def _at(node: yaml.Node) -> str:
    line, column = position(node)
    return f"{line}:{column}"


def parse_rule(item: Any, where: str, index: int, *, service: str | None = None) -> LogRule:
    allowed = SERVICE_RULE_FIELDS if service else RULE_FIELDS
    if not isinstance(item, Mapping):
        raise InputError(
            f"{where}: log rule #{index + 1} must be a mapping of {', '.join(allowed)}"
        )
    name = item.get("name", f"{service}-logs-{index + 1}" if service else f"rule-{index + 1}")
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(
            f"{where}: log rule #{index + 1}: name {name!r} must be a DNS label (lowercase "
            "letters, digits, '-')"
        )
    at = f"{where}: log rule {name!r}"
    for key in item:
        if key not in allowed:
            extra = " (a service's own rules select that service)" if key == "services" else ""
            raise InputError(
                f"{at}: unknown field {key!r}{extra}; expected one of: {', '.join(allowed)}"
            )
    if "to" not in item:
        raise InputError(f"{at}: field 'to' is missing: say where the lines go ({_kinds()})")
    services = _strings(item, "services", at)
    for ref in services:
        if not _SERVICE_REF.match(ref):
            raise InputError(
                f"{at}: field 'services': {ref!r} is not a service name or APP/SERVICE"
            )
    streams = _strings(item, "streams", at) or STREAMS
    for stream in streams:
        if stream not in STREAMS:
            raise InputError(f"{at}: field 'streams': {stream!r} is not stdout or stderr")
    files = _strings(item, "files", at)
    for path in files:
        if not path.startswith("/") or "/../" in f"{path}/":
            raise InputError(
                f"{at}: field 'files': {path!r} must be an absolute path inside the container"
            )
    if files and "streams" in item:
        raise InputError(
            f"{at}: give 'streams' or 'files', not both (a rule reads one or the other; "
            "write two rules)"
        )
    return LogRule(
        name=name,
        destination=parse_destination(item["to"], f"{at}: field 'to'"),
        services=tuple(services or ((service,) if service else ())),
        containers=tuple(_names(item, "containers", at)),
        streams=() if files else tuple(streams),
        files=tuple(files),
        include=tuple(_patterns(item, "include", at)),
        exclude=tuple(_patterns(item, "exclude", at)),
        first_line=_multiline(item.get("multiline"), at),
        where=where,
    )


def parse_destination(node: Any, at: str) -> Destination:
    if not isinstance(node, Mapping) or len(node) != 1:
        raise InputError(f"{at} must be a mapping with exactly one of: {_kinds()}")
    ((kind, settings),) = node.items()
    if kind not in DESTINATION_KINDS:
        raise InputError(f"{at}: {kind!r} is not a destination; use one of: {_kinds()}")
    at = f"{at}.{kind}"
    if not isinstance(settings, Mapping):
        raise InputError(f"{at} must be a mapping of its settings")
    required, optional = DESTINATION_FIELDS[kind]
    for key in settings:
        if key not in required + optional:
            raise InputError(
                f"{at}: unknown field {key!r}; expected one of: {', '.join(required + optional)}"
            )
    for key in required:
        if key not in settings:
            raise InputError(f"{at}: field {key!r} is missing")
    return Destination(kind, _check_settings(kind, dict(settings), at))


def _check_settings(kind: str, s: dict[str, Any], at: str) -> dict[str, Any]:
    if kind == "otlp":
        protocol = _choice(s, "protocol", PROTOCOLS, at, "grpc")
        s["protocol"] = protocol
        if protocol == "grpc":
            _host_port_or_url(s, "endpoint", at)
        else:
            _url(s, "endpoint", at)
    elif kind in ("loki", "http"):
        _url(s, "endpoint", at)
        if kind == "http":
            s["encoding"] = _choice(s, "encoding", HTTP_ENCODINGS, at, "json")
    elif kind == "elasticsearch":
        s["endpoints"] = _list(s, "endpoints", at)
        for url in s["endpoints"]:
            if not _URL.match(url):
                raise InputError(f"{at}: field 'endpoints': {url!r} is not an http(s) URL")
        _string(s, "index", at, required=False)
    elif kind == "kafka":
        s["brokers"] = _list(s, "brokers", at)
        for broker in s["brokers"]:
            if not _HOST_PORT.match(broker):
                raise InputError(f"{at}: field 'brokers': {broker!r} is not HOST:PORT")
        _string(s, "topic", at, required=False)
        s["encoding"] = _choice(s, "encoding", KAFKA_ENCODINGS, at, "otlp_proto")
    elif kind == "file":
        path = _string(s, "path", at)
        if not path.startswith("/"):
            raise InputError(f"{at}: field 'path': {path!r} must be an absolute path")
    if "insecure" in s and not isinstance(s["insecure"], bool):
        raise InputError(f"{at}: field 'insecure' must be true or false")
    return s


def _choice(s: Mapping[str, Any], key: str, allowed: tuple[str, ...], at: str, default: str) -> str:
    value = s.get(key, default)
    if value not in allowed:
        raise InputError(f"{at}: field {key!r}: {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _string(s: Mapping[str, Any], key: str, at: str, *, required: bool = True) -> str:
    value = s.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise InputError(f"{at}: field {key!r} must be a non-empty string")
    return value


def _url(s: Mapping[str, Any], key: str, at: str) -> None:
    value = _string(s, key, at)
    if not _URL.match(value):
        raise InputError(f"{at}: field {key!r}: {value!r} is not an http(s) URL")


def _host_port_or_url(s: Mapping[str, Any], key: str, at: str) -> None:
    value = _string(s, key, at)
    if not (_URL.match(value) or _HOST_PORT.match(value)):
        raise InputError(f"{at}: field {key!r}: {value!r} is not HOST:PORT or an http(s) URL")


def _list(s: Mapping[str, Any], key: str, at: str) -> list[str]:
    value = s.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InputError(f"{at}: field {key!r} must be a non-empty list of strings")
    return list(value)


def _strings(item: Mapping[str, Any], key: str, at: str) -> list[str]:
    value = item.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(f"{at}: field {key!r} must be a string or a list of strings")
    return list(value)


def _names(item: Mapping[str, Any], key: str, at: str) -> list[str]:
    names = _strings(item, key, at)
    for name in names:
        if not _NAME.match(name):
            raise InputError(f"{at}: field {key!r}: {name!r} is not a container name")
    return names


def _patterns(item: Mapping[str, Any], key: str, at: str) -> list[str]:
    patterns = _strings(item, key, at)
    for pattern in patterns:
        check_pattern(pattern, f"{at}: field {key!r}")
    return patterns


def check_pattern(pattern: str, at: str) -> None:
    """InputError unless ``pattern`` is a regular expression Go's RE2 takes too."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise InputError(f"{at}: {pattern!r} is not a regular expression: {exc}") from None
    if _NOT_RE2.search(pattern):
        raise InputError(
            f"{at}: {pattern!r} uses look-around, a back-reference or a possessive "
            "quantifier, which the collector's regular expressions (RE2) do not have"
        )


def _multiline(node: Any, at: str) -> str | None:
    if node is None:
        return None
    if not isinstance(node, Mapping) or set(node) != {"firstLine"}:
        raise InputError(
            f"{at}: field 'multiline' must be {{firstLine: PATTERN}} (the pattern that "
            "starts an entry)"
        )
    pattern = node["firstLine"]
    if not isinstance(pattern, str) or not pattern:
        raise InputError(f"{at}: field 'multiline.firstLine' must be a non-empty pattern")
    check_pattern(pattern, f"{at}: field 'multiline.firstLine'")
    return pattern


def to_json(rule: LogRule) -> dict[str, Any]:
    """The rule as written (the form ``parse_rule`` reads back), for the store and the API."""
    out: dict[str, Any] = {"name": rule.name}
    if rule.services:
        out["services"] = list(rule.services)
    if rule.containers:
        out["containers"] = list(rule.containers)
    if rule.files:
        out["files"] = list(rule.files)
    elif tuple(rule.streams) != STREAMS:
        out["streams"] = list(rule.streams)
    if rule.include:
        out["include"] = list(rule.include)
    if rule.exclude:
        out["exclude"] = list(rule.exclude)
    if rule.first_line:
        out["multiline"] = {"firstLine": rule.first_line}
    out["to"] = {rule.destination.kind: dict(rule.destination.settings)}
    return out


def _kinds() -> str:
    return ", ".join(DESTINATION_KINDS)
