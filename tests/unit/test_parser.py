from __future__ import annotations

import pytest

from kapstan.errors import GraphError, TemplateError
from kapstan.model.template import EnvBinding, FileBinding
from kapstan.templates.content import MAX_FILE_BYTES, MAX_TEMPLATE_BYTES, template_digest
from kapstan.templates.parser import parse_template
from tests.unit.samples import bookstore_files, deployment, one_service


def test_parses_bookstore() -> None:
    template = parse_template(bookstore_files())
    assert template.name == "bookstore"
    assert list(template.services) == ["postgres", "catalog", "web"]
    catalog = template.services["catalog"]
    assert catalog.manifests == ("services/catalog.yaml",)
    assert catalog.depends_on == ("postgres",)
    assert catalog.calls == ("postgres",)
    assert catalog.env == (
        EnvBinding("catalog.db.url", "CATALOG_DB_URL", 9),
        EnvBinding("log.level", "LOG_LEVEL", 9),
        EnvBinding("db.password", "DB_PASSWORD", 9),
    )
    assert catalog.files == (FileBinding("app.properties", "catalog.props", 10),)
    assert catalog.files_path == "/etc/kapstan"
    assert catalog.delivered_keys == ("catalog.db.url", "catalog.props", "db.password", "log.level")
    assert template.services["postgres"].manifests == ("services/postgres/statefulset.yaml",)
    assert [d.kind for d in template.services["postgres"].documents] == ["StatefulSet", "Service"]
    assert template.config == {"catalog.replicas": 2, "log.level": "info"}
    assert template.digest == template_digest(bookstore_files())
    assert set(catalog.sources) == {"services/catalog.yaml", "kapstan.yaml#catalog"}


def test_digest_is_stable_and_content_sensitive() -> None:
    files = bookstore_files()
    assert template_digest(files) == template_digest(dict(reversed(list(files.items()))))
    assert template_digest(files) != template_digest(
        {**files, "services/web.yaml": files["services/web.yaml"] + "\n"}
    )
    # path/content boundaries are unambiguous
    assert template_digest({"ab": "c"}) != template_digest({"a": "bc"})


def test_env_mapping_form_and_files_path() -> None:
    extra = "    env: {a.b: null, c.d: CUSTOM}\n    files: {x.conf: a.b}\n    filesPath: /config\n"
    spec = parse_template(one_service(deployment(), extra)).services["app"]
    assert [(b.key, b.name) for b in spec.env] == [("a.b", "A_B"), ("c.d", "CUSTOM")]
    assert spec.files_path == "/config"


def test_globs_expand_sorted_and_double_star() -> None:
    files = {
        "kapstan.yaml": "name: t\nservices:\n  app:\n    manifests: ['k8s/**/*.yaml', k8s/a.yaml]\n",
        "k8s/b.yaml": deployment(name="b"),
        "k8s/a.yaml": deployment(name="a"),
        "k8s/sub/c.yaml": deployment(name="c"),
        "k8s/notes.txt": "hello",
    }
    assert parse_template(files).services["app"].manifests == (
        "k8s/a.yaml",
        "k8s/b.yaml",
        "k8s/sub/c.yaml",
    )


def test_config_block_flattens_nested_mappings() -> None:
    files = one_service(deployment())
    files["kapstan.yaml"] += "config:\n  a:\n    b: 1\n    c: {d: x}\n  e.f: true\n"
    assert parse_template(files).config == {"a.b": 1, "a.c.d": "x", "e.f": True}


BAD_KAPSTAN = [
    ("services: {}\n", "kapstan.yaml:1:1: kapstan.yaml needs 'name' and 'services'"),
    ("name: t\nservices: {}\n", "kapstan.yaml:2:11: services is empty"),
    (
        "name: t\nservices:\n  app: {manifests: [app.yaml]}\nextra: 1\n",
        "kapstan.yaml:4:1: unknown field 'extra'",
    ),
    (
        "name: t\nservices:\n  app:\n    manifests: [app.yaml]\n    dependOn: [x]\n",
        "kapstan.yaml:5:5: unknown field 'dependOn' in service 'app'",
    ),
    ("name: t\nservices:\n  app: {}\n", "kapstan.yaml:3:8: service 'app' needs 'manifests'"),
    (
        "name: t\nservices:\n  app: {manifests: [nope/*.yaml]}\n",
        "kapstan.yaml:3:20: service 'app': manifests pattern 'nope/*.yaml' matches no file",
    ),
    (
        "name: t\nservices:\n  App: {manifests: [app.yaml]}\n",
        "kapstan.yaml:3:8: service name 'App' must be a DNS label",
    ),
    (
        "name: T_1\nservices:\n  app: {manifests: [app.yaml]}\n",
        "kapstan.yaml:1:7: template name 'T_1' must be a DNS label",
    ),
    (
        "name: t\nservices:\n  app: {manifests: [app.yaml], env: [bad..key]}\n",
        "kapstan.yaml:3:38: service 'app' env key 'bad..key' is not a valid key",
    ),
    (
        "name: t\nservices:\n  app: {manifests: [app.yaml], env: [{a.b: 1X}]}\n",
        "kapstan.yaml:3:44: service 'app' env: '1X' is not a valid environment variable name",
    ),
    (
        "name: t\nservices:\n  app: {manifests: [app.yaml], env: [a.b, {c: A_B}]}\n",
        "kapstan.yaml:3:44: service 'app' env: environment variable A_B is set twice",
    ),
    (
        "name: t\nservices:\n  app: {manifests: [app.yaml], files: {a/b: k}}\n",
        "kapstan.yaml:3:40: service 'app' files: 'a/b' is not a valid file name",
    ),
    (
        "name: t\nservices:\n  app: {manifests: [app.yaml], filesPath: etc}\n",
        "kapstan.yaml:3:43: service 'app' filesPath must be an absolute path",
    ),
    (
        "name: t\nservices:\n  app: {manifests: [app.yaml]}\nconfig: {a: [1]}\n",
        "kapstan.yaml:4:13: config key 'a': values must be scalars",
    ),
    (
        "name: t\nservices:\n  app: {manifests: [app.yaml]}\nconfig: {'a b': 1}\n",
        "kapstan.yaml:4:17: config key 'a b' is not a valid key",
    ),
    ("name: t\nservices: [\n", "kapstan.yaml:3:1: YAML syntax error"),
    ("name: t\n---\nname: u\n", "kapstan.yaml: expected exactly one YAML document, found 2"),
]


@pytest.mark.parametrize(("kapstan", "message"), BAD_KAPSTAN)
def test_bad_kapstan_yaml_names_line_and_column(kapstan: str, message: str) -> None:
    with pytest.raises(TemplateError) as err:
        parse_template({"kapstan.yaml": kapstan, "app.yaml": deployment()})
    assert str(err.value).startswith(message), str(err.value)


def test_missing_kapstan_yaml() -> None:
    with pytest.raises(TemplateError, match=r"kapstan\.yaml: missing"):
        parse_template({"app.yaml": deployment()})


def two_services(a: str, b: str, deps: str = "") -> dict[str, str]:
    kapstan = (
        f"name: t\nservices:\n  a:\n    manifests: [a.yaml]\n{deps}  b:\n    manifests: [b.yaml]\n"
    )
    return {"kapstan.yaml": kapstan, "a.yaml": a, "b.yaml": b}


def test_duplicate_resource_across_services_names_both() -> None:
    with pytest.raises(TemplateError) as err:
        parse_template(two_services(deployment(name="x"), deployment(name="x")))
    message = str(err.value)
    assert "Deployment.apps x is declared twice" in message
    assert "service 'a' (a.yaml: document 1 (line 1))" in message
    assert "service 'b' (b.yaml: document 1 (line 1))" in message


def test_same_name_in_other_group_or_namespace_is_fine() -> None:
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
    other_ns = deployment(name="x").replace("  name: x\n", "  name: x\n  namespace: other\n")
    parse_template(two_services(deployment(name="x"), service))
    parse_template(two_services(deployment(name="x"), other_ns))


def test_file_listed_by_two_services() -> None:
    files = {
        "kapstan.yaml": "name: t\nservices:\n  a: {manifests: [x.yaml]}\n  b: {manifests: ['*.yaml']}\n",
        "x.yaml": deployment(),
    }
    with pytest.raises(TemplateError, match=r"x\.yaml is listed by services 'a' and 'b'"):
        parse_template(files)


@pytest.mark.parametrize(
    ("deps", "message"),
    [
        ("    dependsOn: [b]\n  c:\n    manifests: [c.yaml]\n    dependsOn: [a]\n", None),
        (
            "    dependsOn: [bb]\n",
            "kapstan.yaml:4: service 'a': dependsOn names unknown service 'bb'; did you mean 'b'?",
        ),
        (
            "    calls: [zzz]\n",
            "kapstan.yaml:4: service 'a': calls names unknown service 'zzz'; known services: a, b",
        ),
        ("    dependsOn: [a]\n", "kapstan.yaml: dependency cycle: a -> a"),
    ],
)
def test_graph_errors(deps: str, message: str | None) -> None:
    files = two_services(deployment(name="a"), deployment(name="b"), deps)
    files["c.yaml"] = deployment(name="c")
    if message is None:
        files["kapstan.yaml"] = files["kapstan.yaml"].replace(
            "  b:\n    manifests: [b.yaml]\n", "  b:\n    manifests: [b.yaml]\n    dependsOn: [c]\n"
        )
        files["kapstan.yaml"] = files["kapstan.yaml"].replace(
            "    dependsOn: [b]\n  c:", "    dependsOn: [b]\n  c:", 1
        )
        message = "kapstan.yaml: dependency cycle: a -> b -> c -> a"
    with pytest.raises(GraphError) as err:
        parse_template(files)
    assert str(err.value).startswith(message), str(err.value)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"kapstan.yaml": "x", "bin.yaml": "a\x00b"}, "bin.yaml: binary file (contains NUL bytes)"),
        (
            {"kapstan.yaml": "x", "big.yaml": "a" * (MAX_FILE_BYTES + 1)},
            f"big.yaml: file larger than {MAX_FILE_BYTES} bytes",
        ),
        (
            {"kapstan.yaml": "x", **{f"f{i}.yaml": "a" * MAX_FILE_BYTES for i in range(10)}},
            f"template is {10 * MAX_FILE_BYTES + 1} bytes; the limit is {MAX_TEMPLATE_BYTES}",
        ),
        ({"kapstan.yaml": "x", "../up.yaml": "a"}, "../up.yaml: template paths must be relative"),
        ({"kapstan.yaml": "x", "/abs.yaml": "a"}, "/abs.yaml: template paths must be relative"),
        (
            {"kapstan.yaml": "x", "a/./b.yaml": "a"},
            "a/./b.yaml: write template paths in normal form (a/b.yaml)",
        ),
    ],
)
def test_content_limits(files: dict[str, str], message: str) -> None:
    with pytest.raises(TemplateError) as err:
        parse_template(files)
    assert str(err.value).startswith(message), str(err.value)


def test_manifest_error_names_file() -> None:
    files = one_service("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")
    with pytest.raises(
        TemplateError, match=r"^app.yaml: document 1 \(line 1\): ConfigMap without metadata.name"
    ):
        parse_template(files)
