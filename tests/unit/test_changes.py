from __future__ import annotations

from kapstan.model.changes import ServiceChange
from kapstan.model.rendered import RenderedApp
from kapstan.model.values import SecretValue, Value
from kapstan.plan.changes import changed_keys, detect_changes
from kapstan.render.render import render_app
from kapstan.templates.parser import parse_template
from tests.unit.samples import bookstore_files

VALUES: dict[str, Value] = {
    "catalog.db.url": "u",
    "catalog.props": "p",
    "db.password": SecretValue("s"),
}


def rendered(
    files: dict[str, str] | None = None,
    values: dict[str, Value] | None = None,
    namespace: str = "dev",
) -> RenderedApp:
    template = parse_template(files or bookstore_files())
    return render_app(
        template,
        VALUES if values is None else values,
        app="shop",
        namespace=namespace,
        hash_key=b"unit test checksum key",
    )


def test_no_change_no_report() -> None:
    assert detect_changes(rendered(), rendered()) == []


def test_first_render_adds_every_service() -> None:
    new = rendered()
    changes = detect_changes(None, new)
    assert [(c.service, c.kind) for c in changes] == [
        ("postgres", "added"),
        ("catalog", "added"),
        ("web", "added"),
    ]
    assert changes[0].new_hash == new.services["postgres"].hash and changes[0].old_hash is None


def test_key_change_reports_only_services_using_it() -> None:
    old = rendered()
    new = rendered(values={**VALUES, "catalog.db.url": "v", "unrelated": 1})
    assert detect_changes(old, new) == [
        ServiceChange(
            "catalog",
            "changed",
            old.services["catalog"].hash,
            new.services["catalog"].hash,
            keys=("catalog.db.url",),
        )
    ]


def test_secret_change_is_reported_by_key() -> None:
    changes = detect_changes(
        rendered(), rendered(values={**VALUES, "db.password": SecretValue("t")})
    )
    assert [(c.service, c.keys) for c in changes] == [("catalog", ("db.password",))]
    assert changes[0].describe() == "catalog: changed (keys: db.password)"


def test_default_becoming_a_value_is_a_key_change() -> None:
    changes = detect_changes(rendered(), rendered(values={**VALUES, "web.replicas": 4}))
    assert [(c.service, c.keys) for c in changes] == [("web", ("web.replicas",))]
    equal = detect_changes(rendered(), rendered(values={**VALUES, "web.replicas": 3}))
    assert equal == []  # same value as the default: same output


def test_file_change_and_added_removed_services() -> None:
    files = bookstore_files()
    files["services/web.yaml"] = files["services/web.yaml"].replace("repo/web:1.0", "repo/web:2.0")
    files["kapstan.yaml"] = files["kapstan.yaml"].replace(
        "  postgres:\n    manifests: [services/postgres/*.yaml]\n", ""
    )
    files["kapstan.yaml"] = files["kapstan.yaml"].replace(
        "    dependsOn: [postgres]\n    calls: [postgres]\n", ""
    )
    files["kapstan.yaml"] = files["kapstan.yaml"].replace(
        "services:\n", "services:\n  cache:\n    manifests: [cache.yaml]\n"
    )
    files["cache.yaml"] = "apiVersion: v1\nkind: Service\nmetadata: {name: cache}\n"
    changes = detect_changes(rendered(), rendered(files))
    described = [c.describe() for c in changes]
    assert described == [
        "cache: added",
        "web: changed (files: services/web.yaml)",
        "postgres: removed",
    ]  # catalog lost its dependsOn, but its rendered output is the same: not reported


def test_service_definition_change_is_named() -> None:
    files = bookstore_files()
    files["kapstan.yaml"] = files["kapstan.yaml"].replace(
        "{log.level: LOG_LEVEL}", "{log.level: LEVEL}"
    )
    [change] = detect_changes(rendered(), rendered(files))
    assert change.describe() == "catalog: changed (files: kapstan.yaml#catalog)"


def test_namespace_change_is_explained() -> None:
    changes = detect_changes(rendered(), rendered(namespace="prod"))
    assert {c.service for c in changes} == {"postgres", "catalog", "web"}
    assert all(c.notes == ("namespace dev -> prod",) for c in changes)


def test_changed_keys_is_type_aware() -> None:
    assert changed_keys({"a": 1, "b": "x", "c": None}, {"a": True, "b": "x", "d": None}) == (
        "a",
        "c",
        "d",
    )
    assert changed_keys({"s": SecretValue("a")}, {"s": SecretValue("a")}) == ()
