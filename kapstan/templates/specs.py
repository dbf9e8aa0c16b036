"""Reading the service definitions of kapstan.yaml from YAML nodes, with line numbers."""

from __future__ import annotations

import re
from typing import Any

import yaml

from kapstan.errors import TemplateError
from kapstan.model.template import DEFAULT_FILES_PATH, TEMPLATE_FILE, EnvBinding, FileBinding
from kapstan.render.placeholders import is_key
from kapstan.render.settings import SETTING_FIELDS
from kapstan.render.yamlnodes import STR_TAG, mapping_pairs, position, to_data

SERVICE_FIELDS = (
    "manifests",
    "dependsOn",
    "calls",
    "env",
    "files",
    "filesPath",
    "logs",
    *SETTING_FIELDS,
)
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FILE_NAME = re.compile(r"[-._a-zA-Z0-9]+\Z")
_MAX_FILE_NAME = 253


def env_name(key: str) -> str:
    """The environment variable for a key: ``catalog.db-url`` -> ``CATALOG_DB_URL``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", key).upper()
    return "_" + name if name[0].isdigit() else name


def check_dns_label(name: str, what: str, where: str) -> None:
    if not _DNS_LABEL.match(name):
        raise TemplateError(
            f"{where}: {what} {name!r} must be a DNS label (lowercase letters, digits, '-', at most 63)"
        )


class NodeReader:
    """Typed access to kapstan.yaml nodes; every error names kapstan.yaml:line:column."""

    def __init__(self, loader: yaml.CSafeLoader) -> None:
        self.loader = loader

    def where(self, node: yaml.Node) -> str:
        line, col = position(node)
        return f"{TEMPLATE_FILE}:{line}:{col}"

    def fail(self, node: yaml.Node, message: str) -> TemplateError:
        return TemplateError(f"{self.where(node)}: {message}")

    def mapping(
        self, node: yaml.Node, what: str, allowed: tuple[str, ...] | None = None
    ) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        pairs = mapping_pairs(self.loader, node, TEMPLATE_FILE)
        for key, key_node, _ in pairs:
            if allowed is not None and key not in allowed:
                raise self.fail(
                    key_node,
                    f"unknown field {key!r} in {what}; expected one of: {', '.join(allowed)}",
                )
        return {key: value for key, _, value in pairs}

    def string(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != STR_TAG or not node.value:
            raise self.fail(node, f"{what} must be a non-empty string")
        return str(node.value)

    def strings(self, node: yaml.Node, what: str) -> list[str]:
        if isinstance(node, yaml.ScalarNode):
            return [self.string(node, what)]
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list of strings")
        return [self.string(item, what) for item in node.value]

    def key(self, node: yaml.Node, what: str) -> str:
        text = self.string(node, what)
        if not is_key(text):
            raise self.fail(node, f"{what} {text!r} is not a valid key (dotted names: a.b-c.d_e)")
        return text

    def data(self, node: yaml.Node) -> Any:
        return to_data(self.loader, node, TEMPLATE_FILE)

    def env(self, node: yaml.Node, service: str) -> tuple[EnvBinding, ...]:
        """``env: [key, {key: NAME}]`` or ``env: {key: NAME | null}``."""
        what = f"service {service!r} env"
        entries: list[tuple[yaml.Node, yaml.Node | None]] = []
        if isinstance(node, yaml.MappingNode):
            entries = [(k, v) for _, k, v in mapping_pairs(self.loader, node, TEMPLATE_FILE)]
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                if isinstance(item, yaml.MappingNode) and len(item.value) == 1:
                    entries.append(item.value[0])
                else:
                    entries.append((item, None))
        else:
            raise self.fail(node, f"{what} must be a list of keys or a mapping key -> ENV_NAME")
        return self._env_bindings(entries, what)

    def _env_bindings(
        self, entries: list[tuple[yaml.Node, yaml.Node | None]], what: str
    ) -> tuple[EnvBinding, ...]:
        out: list[EnvBinding] = []
        names: set[str] = set()
        for key_node, name_node in entries:
            key = self.key(key_node, f"{what} key")
            plain_null = (
                isinstance(name_node, yaml.ScalarNode)
                and name_node.tag != STR_TAG
                and name_node.value in ("", "~", "null")
            )
            name = (
                env_name(key)
                if name_node is None or plain_null
                else self.string(name_node, f"{what} name")
            )
            if not _ENV_NAME.match(name):
                raise self.fail(
                    name_node or key_node,
                    f"{what}: {name!r} is not a valid environment variable name",
                )
            if name in names:
                raise self.fail(key_node, f"{what}: environment variable {name} is set twice")
            names.add(name)
            out.append(EnvBinding(key, name, position(key_node)[0]))
        return tuple(out)

    def files(self, node: yaml.Node, service: str) -> tuple[FileBinding, ...]:
        """``files: {file-name: key}``."""
        what = f"service {service!r} files"
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping file-name -> key")
        out = []
        for name, name_node, key_node in mapping_pairs(self.loader, node, TEMPLATE_FILE):
            # Kubernetes' rule for a ConfigMap key (the file's name in the mounted volume):
            # '..'-prefixed names are the volume's own bookkeeping (``..data``).
            if not _FILE_NAME.match(name) or name.startswith("..") or name == ".":
                raise self.fail(
                    name_node,
                    f"{what}: {name!r} is not a valid file name (letters, digits, '-', '_', "
                    "'.'; not '.' nor starting with '..')",
                )
            if len(name) > _MAX_FILE_NAME:
                raise self.fail(
                    name_node,
                    f"{what}: {name[:20]!r}... is longer than {_MAX_FILE_NAME} characters",
                )
            out.append(FileBinding(name, self.key(key_node, f"{what} key"), position(name_node)[0]))
        return tuple(out)

    def files_path(self, node: yaml.Node | None, service: str) -> str:
        if node is None:
            return DEFAULT_FILES_PATH
        path = self.string(node, f"service {service!r} filesPath")
        if not path.startswith("/"):
            raise self.fail(node, f"service {service!r} filesPath must be an absolute path")
        if ".." in path.split("/") or not path.isprintable():
            raise self.fail(
                node, f"service {service!r} filesPath {path!r}: no '..' and no control characters"
            )
        return path
