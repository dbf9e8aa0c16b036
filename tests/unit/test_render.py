from __future__ import annotations

from typing import Any

import pytest

from kapstan.errors import InputError, SecretKeyError, TemplateError, VariableError
from kapstan.model.rendered import RenderedApp
from kapstan.model.values import SecretValue, Value, display
from kapstan.render.configdelivery import CHECKSUM_ANNOTATION
from kapstan.render.hashing import content_hash, service_yaml
from kapstan.render.labels import stamp_objects
from kapstan.render.render import render_app
from kapstan.templates.parser import parse_template
from tests.unit.samples import bookstore_files, deployment, one_service

HASH_KEY = b"unit test checksum key"
VALUES: dict[str, Value] = {
    "catalog.db.url": "postgres://postgres:5432/catalog",
    "catalog.props": "cache=on\n",
    "db.password": SecretValue("hunter2"),
}


def render(files: dict[str, str], values: dict[str, Value] | None = None, **kw: str) -> RenderedApp:
    args = {"app": "shop", "namespace": "dev", **kw}
    values = VALUES if values is None else values
    return render_app(parse_template(files), values, **args, hash_key=HASH_KEY)


def by_kind(app: RenderedApp, service: str) -> dict[str, dict[str, Any]]:
    return {o["kind"]: o for o in app.services[service].objects}


def test_whole_placeholder_keeps_type_and_text_inside_strings() -> None:
    app = render(bookstore_files(), {**VALUES, "catalog.image.tag": 7})
    catalog = by_kind(app, "catalog")["Deployment"]
    assert catalog["spec"]["replicas"] == 2  # from the config: block
    container = catalog["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "repo/catalog:7"
    assert container["args"] == ["--home=${HOME}"]
    web = by_kind(app, "web")["Deployment"]
    assert web["spec"]["replicas"] == 3  # typed default
    assert web["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "catalog"


@pytest.mark.parametrize(
    ("manifest_value", "config_value", "expected"),
    [
        ("${x}", 3, 3),
        ("${x}", "abc", "abc"),
        ("${x}", True, True),
        ("${x}", None, None),
        ('"${x}"', 3, "3"),
        ('"${x}"', True, "true"),
        ("v${x}", 1.5, "v1.5"),
        ("${x}-${y:-d}", "a", "a-d"),
        ("${y:-1.5}", None, 1.5),
    ],
)
def test_value_types(manifest_value: str, config_value: Value, expected: object) -> None:
    manifest = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\nvalue: {manifest_value}\n"
    app = render(one_service(manifest), {"x": config_value})
    value = app.services["app"].objects[0]["value"]
    assert value == expected and type(value) is type(expected)


def test_values_override_template_config() -> None:
    app = render(bookstore_files(), {**VALUES, "catalog.replicas": 5})
    assert by_kind(app, "catalog")["Deployment"]["spec"]["replicas"] == 5


def test_undefined_variables_all_listed_at_once() -> None:
    files = bookstore_files()
    files["services/web.yaml"] = files["services/web.yaml"].replace(
        "repo/web:1.0", "repo/web:${web.tag}"
    )
    with pytest.raises(VariableError) as err:
        render(files, {"catalog.props": "x"})
    message = str(err.value)
    assert message.startswith("undefined variables (3): catalog.db.url, db.password, web.tag\n")
    assert "  catalog.db.url  at kapstan.yaml:9  (service catalog)" in message
    assert "  db.password  at kapstan.yaml:9  (service catalog)" in message
    assert "  web.tag  at services/web.yaml:13  (service web)" in message


@pytest.mark.parametrize(
    ("field", "value", "needs"),
    [
        ("replicas: ${x}", "abc", "spec.replicas needs an integer"),
        ("replicas: ${x}", 1.5, "spec.replicas needs an integer"),
        ("replicas: ${x}", True, "spec.replicas needs an integer"),
        ("paused: ${x}", "yes", "spec.paused needs true or false"),
        (
            "ports: [{port: '${x}'}]",
            "Not A Name!",
            "spec.ports[0].port needs an integer or a port name",
        ),
    ],
)
def test_misfit_names_key_file_line_and_field(field: str, value: Value, needs: str) -> None:
    manifest = f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  {field}\n"
    with pytest.raises(VariableError) as err:
        render(one_service(manifest), {"x": value})
    assert f"key x = {display(value)!r} at app.yaml:5" in str(err.value)
    assert f"at app.yaml:5 field {needs} (service app)" in str(err.value)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("replicas: ${x}", "3", 3),
        ("replicas: '${x}'", 4, 4),
        ("paused: ${x}", "True", True),
        ("ports: [{targetPort: '${x}'}]", "http", "http"),
        ("ports: [{targetPort: '${x}'}]", "8080", 8080),
    ],
)
def test_fitting_strings_are_converted(field: str, value: Value, expected: object) -> None:
    manifest = f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  {field}\n"
    obj = render(one_service(manifest), {"x": value}).services["app"].objects[0]
    got = next(iter(obj["spec"].values()))
    got = got[0]["targetPort"] if isinstance(got, list) else got
    assert got == expected and type(got) is type(expected)


def test_secret_misfit_does_not_print_value() -> None:
    with pytest.raises(VariableError) as err:
        render(one_service(deployment(replicas="${x}")), {"x": SecretValue("topsecret")})
    assert "topsecret" not in str(err.value)
    assert "key x at app.yaml:6 is secret" in str(err.value)


def test_secret_in_integer_field_is_redacted() -> None:
    with pytest.raises(VariableError) as err:
        render(one_service(deployment(image="x:${x}")), {"x": SecretValue("s3cr3t-value")})
    assert "s3cr3t-value" not in str(err.value)


def test_labels_namespace_and_cluster_scoped() -> None:
    files = one_service(
        deployment()
        + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: other}\n"
    )
    objects = render(files, {}).services["app"].objects
    deploy, namespace, service = objects
    assert deploy["metadata"]["namespace"] == "dev"
    assert "namespace" not in namespace["metadata"]
    assert service["metadata"]["namespace"] == "other"
    assert deploy["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "kapstan",
        "kapstan.io/app": "shop",
        "kapstan.io/service": "app",
    }
    assert deploy["metadata"]["annotations"] == {"kapstan.io/template": "t"}
    assert deploy["spec"]["template"]["metadata"]["labels"] == {
        "kapstan.io/app": "shop",
        "kapstan.io/service": "app",
    }


def test_config_delivery_objects_and_wiring() -> None:
    app = render(bookstore_files())
    objects = by_kind(app, "catalog")
    assert [o["kind"] for o in app.services["catalog"].objects] == [
        "ConfigMap",
        "Secret",
        "Deployment",
    ]
    config_map, secret = objects["ConfigMap"], objects["Secret"]
    assert config_map["metadata"]["name"] == "shop-catalog-config"
    assert config_map["data"] == {
        "catalog.db.url": "postgres://postgres:5432/catalog",
        "catalog.props": "cache=on\n",
        "log.level": "info",
    }
    assert secret["metadata"]["name"] == "shop-catalog-secret"
    assert secret["stringData"] == {"db.password": "hunter2"}
    pod = objects["Deployment"]["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["env"] == [
        {
            "name": "CATALOG_DB_URL",
            "valueFrom": {
                "configMapKeyRef": {"name": "shop-catalog-config", "key": "catalog.db.url"}
            },
        },
        {
            "name": "LOG_LEVEL",
            "valueFrom": {"configMapKeyRef": {"name": "shop-catalog-config", "key": "log.level"}},
        },
        {
            "name": "DB_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "shop-catalog-secret", "key": "db.password"}},
        },
    ]
    assert container["volumeMounts"] == [
        {"name": "kapstan-config", "mountPath": "/etc/kapstan", "readOnly": True}
    ]
    assert pod["spec"]["volumes"] == [
        {
            "name": "kapstan-config",
            "projected": {
                "sources": [
                    {
                        "configMap": {
                            "name": "shop-catalog-config",
                            "items": [{"key": "catalog.props", "path": "app.properties"}],
                        }
                    }
                ]
            },
        }
    ]
    assert len(pod["metadata"]["annotations"][CHECKSUM_ANNOTATION]) == 64
    assert "kapstan.io/config-checksum" not in str(by_kind(app, "web"))


def test_secret_file_and_explicit_env_wins() -> None:
    manifest = deployment().replace(
        "image: img:1\n", "image: img:1\n          env: [{name: A_B, value: mine}]\n"
    )
    files = one_service(
        manifest, "    env: [a.b]\n    files: {key.pem: tls.key}\n    filesPath: /tls\n"
    )
    obj = render(files, {"a.b": "x", "tls.key": SecretValue("PEM")}).services["app"].objects
    assert [o["kind"] for o in obj] == ["ConfigMap", "Secret", "Deployment"]
    pod = obj[2]["spec"]["template"]["spec"]
    assert pod["containers"][0]["env"] == [{"name": "A_B", "value": "mine"}]
    assert pod["volumes"][0]["projected"]["sources"] == [
        {"secret": {"name": "shop-app-secret", "items": [{"key": "tls.key", "path": "key.pem"}]}}
    ]
    assert pod["containers"][0]["volumeMounts"][0]["mountPath"] == "/tls"


def test_cronjob_and_init_containers_are_wired() -> None:
    manifest = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 0 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          initContainers: [{name: init, image: i}]
          containers: [{name: main, image: m}]
"""
    objects = render(one_service(manifest, "    env: [a]\n"), {"a": 1}).services["app"].objects
    pod = objects[1]["spec"]["jobTemplate"]["spec"]["template"]
    assert CHECKSUM_ANNOTATION in pod["metadata"]["annotations"]
    assert [
        c["env"][0]["name"] for c in (*pod["spec"]["initContainers"], *pod["spec"]["containers"])
    ] == ["A", "A"]
    assert objects[0]["data"] == {"a": "1"}


def checksum(app: RenderedApp, service: str) -> str:
    return str(
        by_kind(app, service)["Deployment"]["spec"]["template"]["metadata"]["annotations"][
            CHECKSUM_ANNOTATION
        ]
    )


@pytest.mark.parametrize(
    ("change", "rolls"),
    [
        ({"catalog.db.url": "other"}, True),
        ({"catalog.props": "cache=off\n"}, True),
        ({"db.password": SecretValue("new")}, True),
        ({"log.level": "debug"}, True),
        ({"catalog.replicas": 9}, False),
        ({"unused.key": "x"}, False),
    ],
)
def test_checksum_changes_only_with_delivered_keys(change: dict[str, Value], rolls: bool) -> None:
    before = render(bookstore_files())
    after = render(bookstore_files(), {**VALUES, **change})
    assert (checksum(before, "catalog") != checksum(after, "catalog")) is rolls


def test_hash_is_deterministic_and_content_sensitive() -> None:
    one, two = render(bookstore_files()), render(bookstore_files())
    assert {s: r.hash for s, r in one.services.items()} == {
        s: r.hash for s, r in two.services.items()
    }
    assert one.services["catalog"].hash == content_hash(
        one.services["catalog"].objects, key=HASH_KEY
    )
    assert one.services["catalog"].hash.startswith("sha256:")
    three = render(bookstore_files(), {**VALUES, "db.password": SecretValue("changed")})
    assert three.services["catalog"].hash != one.services["catalog"].hash
    assert three.services["postgres"].hash == one.services["postgres"].hash


def test_inputs_record_used_keys_with_defaults() -> None:
    app = render(bookstore_files())
    assert dict(app.services["postgres"].inputs) == {"postgres.version": "16"}
    assert dict(app.services["web"].inputs) == {"web.replicas": 3, "catalog.host": "catalog"}
    assert set(app.services["catalog"].inputs) == {
        "catalog.replicas",
        "catalog.image.tag",
        "catalog.db.url",
        "catalog.props",
        "db.password",
        "log.level",
    }


def test_service_yaml_redacts_secrets() -> None:
    text = service_yaml(render(bookstore_files()).services["catalog"])
    assert "hunter2" not in text
    assert "db.password: <redacted>" in text
    assert "kind: Deployment" in text


def test_duplicates_after_rendering_name_both_services() -> None:
    files = {
        "kapstan.yaml": "name: t\nservices:\n  a: {manifests: [a.yaml]}\n  b: {manifests: [b.yaml]}\n",
        "a.yaml": deployment(name="${a.name}"),
        "b.yaml": deployment(name="x"),
    }
    with pytest.raises(TemplateError) as err:
        render(files, {"a.name": "x"})
    assert (
        "Deployment.apps dev/x is declared twice: in service 'a' (a.yaml: document 1 (line 1)) and in service 'b'"
        in str(err.value)
    )
    assert render(files, {"a.name": "y"}).services["a"].objects[0]["metadata"]["name"] == "y"


@pytest.mark.parametrize(("app", "namespace"), [("Shop", "dev"), ("shop", "dev_1"), ("", "dev")])
def test_bad_app_or_namespace(app: str, namespace: str) -> None:
    with pytest.raises(InputError, match="must be a DNS label"):
        render(bookstore_files(), app=app, namespace=namespace)


def test_stamp_objects_adds_versions_without_touching_input() -> None:
    objects = list(render(bookstore_files()).services["web"].objects)
    before = content_hash(objects)
    stamped = stamp_objects(
        objects, template_version=3, config_version=7, revision=12, content_hash=before
    )
    assert stamped[0]["metadata"]["annotations"] == {
        "kapstan.io/template": "bookstore",
        "kapstan.io/template-version": "3",
        "kapstan.io/config-version": "7",
        "kapstan.io/revision": "12",
        "kapstan.io/content-hash": before,
    }
    assert content_hash(objects) == before
    assert "kapstan.io/revision" not in str(stamped[0]["spec"])


def test_hash_key_changes_secret_digests_only() -> None:
    template = parse_template(bookstore_files())
    other = render_app(template, VALUES, app="shop", namespace="dev", hash_key=b"k2")
    keyed = render_app(template, VALUES, app="shop", namespace="dev", hash_key=b"k1")
    again = render_app(template, VALUES, app="shop", namespace="dev", hash_key=b"k1")
    assert keyed.services["catalog"].hash == again.services["catalog"].hash
    assert keyed.services["catalog"].hash != other.services["catalog"].hash
    assert keyed.services["postgres"].hash == other.services["postgres"].hash
    assert checksum(keyed, "catalog") != checksum(other, "catalog")
    # the Secret itself still carries the real value for apply
    assert by_kind(keyed, "catalog")["Secret"]["stringData"] == {"db.password": "hunter2"}


def test_no_key_refuses_secrets_and_changes_nothing_else() -> None:
    """Without a key no unkeyed digest of a secret is made: the service is refused by name."""
    template = parse_template(bookstore_files())
    with pytest.raises(SecretKeyError, match=r"service 'catalog'.*KAPSTAN_SECRET_KEY"):
        render_app(template, VALUES, app="shop", namespace="dev", hash_key=None)
    plain = {k: v for k, v in VALUES.items() if not isinstance(v, SecretValue)}
    unkeyed = render_app(
        template, {**plain, "db.password": "x"}, app="shop", namespace="dev", hash_key=None
    )
    keyed = render_app(
        template, {**plain, "db.password": "x"}, app="shop", namespace="dev", hash_key=b"k1"
    )
    assert {s: r.hash for s, r in unkeyed.services.items()} == {
        s: r.hash for s, r in keyed.services.items()
    }


def test_content_hash_sees_secret_values_without_containing_them() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"k": "YQ=="},
    }
    other = {**secret, "data": {"k": "Yg=="}}
    assert content_hash([secret], key=b"x") != content_hash([other], key=b"x")
    assert content_hash([secret], key=b"x") != content_hash([secret], key=b"y")
    with pytest.raises(SecretKeyError, match="needs a key"):
        content_hash([secret])
    assert content_hash([{**secret, "data": {}}]) == content_hash(
        [{**secret, "data": {}}], key=b"x"
    )
