"""Parsing template content (path -> text) into a ``Template``. Pure: no I/O.

The pipeline: check content (paths, sizes, binary) -> read kapstan.yaml -> expand each
service's manifest patterns -> compile every manifest once -> check the graph -> check
that no resource is declared twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import yaml

from kapstan.errors import TemplateError
from kapstan.model.manifest import Document
from kapstan.model.template import TEMPLATE_FILE, ServiceSpec, Template
from kapstan.model.values import Scalar
from kapstan.plan.graph import check_graph, graph_of
from kapstan.render.manifests import compile_file
from kapstan.render.resources import check_static_duplicates
from kapstan.render.settings import SETTING_FIELDS, build_settings
from kapstan.render.yamlnodes import iter_documents, position
from kapstan.templates import globs
from kapstan.templates.content import check_content, file_digest, template_digest
from kapstan.templates.logs import template_logs
from kapstan.templates.specs import SERVICE_FIELDS, NodeReader, check_dns_label

TOP_FIELDS = ("name", "services", "config", "promote", "logs")


def parse_template(files: Mapping[str, str]) -> Template:
    """A Template from its content; TemplateError/GraphError name file:line:column."""
    check_content(files)
    if TEMPLATE_FILE not in files:
        raise TemplateError(
            f"{TEMPLATE_FILE}: missing; a template directory needs a {TEMPLATE_FILE}"
        )
    documents = list(iter_documents(files[TEMPLATE_FILE], TEMPLATE_FILE))
    if len(documents) != 1:
        raise TemplateError(
            f"{TEMPLATE_FILE}: expected exactly one YAML document, found {len(documents)}"
        )
    loader, _, root = documents[0]
    reader = NodeReader(loader)
    top = reader.mapping(root, TEMPLATE_FILE, TOP_FIELDS)
    if "name" not in top or "services" not in top:
        raise reader.fail(root, "kapstan.yaml needs 'name' and 'services'")
    name = reader.string(top["name"], "name")
    check_dns_label(name, "template name", reader.where(top["name"]))
    services = _services(reader, top["services"], files)
    config = _config(reader, top["config"]) if "config" in top else {}
    promote = _promote(reader, top["promote"], services, config) if "promote" in top else None
    logs = template_logs(reader, top, list(services))
    template = Template(
        name, services, config, dict(files), template_digest(files), promote=promote, logs=logs
    )
    check_graph(graph_of(template))
    check_static_duplicates(template)
    return template


def _services(
    reader: NodeReader, node: yaml.Node, files: Mapping[str, str]
) -> dict[str, ServiceSpec]:
    entries = reader.mapping(node, "services")
    if not entries:
        raise reader.fail(node, "services is empty; declare at least one service")
    owner: dict[str, str] = {}
    compiled: dict[str, list[Document]] = {}
    out = {}
    for service, spec_node in entries.items():
        check_dns_label(service, "service name", reader.where(spec_node))
        out[service] = _service(reader, service, spec_node, files, owner, compiled)
    return out


def _service(
    reader: NodeReader,
    service: str,
    node: yaml.Node,
    files: Mapping[str, str],
    owner: dict[str, str],
    compiled: dict[str, list[Document]],
) -> ServiceSpec:
    fields = reader.mapping(node, f"service {service!r}", SERVICE_FIELDS)
    if "manifests" not in fields:
        raise reader.fail(node, f"service {service!r} needs 'manifests' (paths or globs)")
    paths = _expand(reader, service, fields["manifests"], files)
    for path in paths:
        if owner.setdefault(path, service) != service:
            raise reader.fail(
                fields["manifests"],
                f"{path} is listed by services {owner[path]!r} and {service!r}; a file belongs to one service",
            )
        if path not in compiled:
            compiled[path] = compile_file(files[path], path)
    sources = {path: file_digest(files[path]) for path in paths}
    # Log rules are the environment's collector's, not the service's: a change to them
    # redeploys the collector, never the service.
    own = {k: v for k, v in reader.data(node).items() if k != "logs"}
    sources[f"{TEMPLATE_FILE}#{service}"] = _digest_data(own)
    return ServiceSpec(
        name=service,
        manifests=tuple(paths),
        documents=tuple(doc for path in paths for doc in compiled[path]),
        depends_on=tuple(reader.strings(fields["dependsOn"], "dependsOn"))
        if "dependsOn" in fields
        else (),
        calls=tuple(reader.strings(fields["calls"], "calls")) if "calls" in fields else (),
        env=reader.env(fields["env"], service) if "env" in fields else (),
        files=reader.files(fields["files"], service) if "files" in fields else (),
        files_path=reader.files_path(fields.get("filesPath"), service),
        line=position(node)[0],
        sources=sources,
        settings=build_settings(
            {k: reader.data(fields[k]) for k in SETTING_FIELDS if k in fields},
            f"{reader.where(node)}: service {service!r}",
            lambda path: f"{reader.where(_node_at(node, path))}: service {service!r}",
        ),
    )


def _node_at(node: yaml.Node, path: tuple[str | int, ...]) -> yaml.Node:
    """The node at ``path`` below ``node``, or the deepest one that exists (errors cite its line)."""
    for part in path:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            found = node.value[part] if 0 <= part < len(node.value) else None
        else:
            found = None
        if found is None:
            return node
        node = found
    return node


def _expand(
    reader: NodeReader, service: str, node: yaml.Node, files: Mapping[str, str]
) -> list[str]:
    candidates = [p for p in files if p != TEMPLATE_FILE]
    found: list[str] = []
    for pattern in reader.strings(node, f"service {service!r} manifests"):
        matched = globs.match(pattern, candidates)
        if not matched:
            raise reader.fail(
                node, f"service {service!r}: manifests pattern {pattern!r} matches no file"
            )
        found.extend(p for p in matched if p not in found)
    return found


def _config(reader: NodeReader, node: yaml.Node) -> dict[str, Scalar]:
    """The config block; nested mappings flatten to dotted keys (``a: {b: 1}`` -> ``a.b``)."""
    out: dict[str, Scalar] = {}

    def walk(prefix: str, current: yaml.Node) -> None:
        for key, value in reader.mapping(current, "config").items():
            full = f"{prefix}.{key}" if prefix else key
            if isinstance(value, yaml.MappingNode):
                walk(full, value)
            elif isinstance(value, yaml.SequenceNode):
                raise reader.fail(value, f"config key {full!r}: values must be scalars, not lists")
            else:
                reader.key(_key_node(value, full), "config key")
                out[full] = reader.data(value)

    walk("", node)
    return out


def _promote(
    reader: NodeReader,
    node: yaml.Node,
    services: Mapping[str, ServiceSpec],
    config: Mapping[str, Scalar],
) -> tuple[str, ...]:
    """``promote: [key, ...]``: each a key the template uses (a typo would carry nothing)."""
    used = set(config) | {
        holder.key
        for spec in services.values()
        for doc in spec.documents
        for site in doc.slots
        for holder in site.slot.placeholders
    }
    used |= {key for spec in services.values() for key in spec.delivered_keys}
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    keys: list[str] = []
    for item in items:
        key = reader.key(item, "promote key")
        if key not in used:
            raise reader.fail(
                item,
                f"promote key {key!r} is used by no manifest, env, files or config of this "
                "template; list keys it uses (an image tag key, say)",
            )
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def _key_node(value: yaml.Node, key: str) -> yaml.Node:
    """A synthetic node carrying ``key`` at ``value``'s position, for key validation."""
    return yaml.ScalarNode("tag:yaml.org,2002:str", key, value.start_mark, value.end_mark)


def _digest_data(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
