from __future__ import annotations

from kapstan.render.variables import Use, default_config, extract_variables, required_keys
from kapstan.templates.parser import parse_template
from tests.unit.samples import bookstore_files, one_service


def test_extract_variables_lists_keys_defaults_and_uses() -> None:
    variables = {v.key: v for v in extract_variables(parse_template(bookstore_files()))}
    assert sorted(variables) == [
        "catalog.db.url",
        "catalog.host",
        "catalog.image.tag",
        "catalog.props",
        "catalog.replicas",
        "db.password",
        "log.level",
        "postgres.version",
        "web.replicas",
    ]
    replicas = variables["catalog.replicas"]
    assert (replicas.has_default, replicas.default) == (True, 2)
    assert replicas.uses == (Use("services/catalog.yaml", 6, "catalog", "spec.replicas"),)
    assert variables["web.replicas"].default == 3
    assert variables["postgres.version"].default == "16"  # inside text: stays text
    assert variables["catalog.db.url"].has_default is False
    assert variables["catalog.db.url"].uses == (Use("kapstan.yaml", 9, "catalog", "env"),)
    assert variables["catalog.props"].uses == (Use("kapstan.yaml", 10, "catalog", "files"),)
    assert variables["catalog.host"].services == ("web",)


def test_default_config_merges_block_over_placeholder_defaults() -> None:
    files = one_service(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: ${a:-1}\n  b: ${b:-x}\n  c: ${c}\n"
    )
    files["kapstan.yaml"] += "config:\n  a: 5\n  only.config: true\n"
    template = parse_template(files)
    assert default_config(template) == {"a": 5, "b": "x", "only.config": True}
    assert required_keys(template) == ["c"]


def test_first_default_by_file_and_line_wins() -> None:
    files = {
        "kapstan.yaml": "name: t\nservices:\n  a: {manifests: [a.yaml]}\n  b: {manifests: [b.yaml]}\n",
        "b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {x: '${k:-from-b}'}\n",
        "a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  y: ${k}\n  x: ${k:-from-a}\n",
    }
    [variable] = extract_variables(parse_template(files))
    assert variable.default == "from-a"
    assert [(u.file, u.line) for u in variable.uses] == [
        ("a.yaml", 5),
        ("a.yaml", 6),
        ("b.yaml", 4),
    ]
