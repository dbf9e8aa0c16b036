"""Checksums and content hashes of secrets are keyed by the store's secret key (issue 12, #3).

A weak secret ("hunter2") must not be findable by hashing guesses offline: no checksum or
hash Kapstan shows or stores equals a digest of it made without a key (the empty-key HMAC
Kapstan made before, a bare sha256...). Two stores with different keys give different
checksums for the same secret; a rotation (a new first key) changes them once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstan.actions import applications, configs, templates
from kapstan.actions.refs import Ref
from kapstan.actions.rendering import render_application, render_at
from kapstan.errors import SecretKeyError
from kapstan.model.rendered import RenderedApp
from kapstan.model.values import SecretValue, Value
from kapstan.render.hashing import objects_yaml
from kapstan.render.redaction import redact_objects
from kapstan.store import Store
from kapstan.store.crypto import KEY_VARIABLE, generate_key
from tests.actions.conftest import BOOKSTORE
from tests.secretdigests import checksums, unkeyed_digests

WEAK = "hunter2"
NO_CLUSTER = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"
SECRET_SERVICES = ("postgres", "catalog")  # both deliver db.password


def _world(store: Store, tmp_path: Path, secret: str = WEAK) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(NO_CLUSTER)
    templates.import_template(store, BOOKSTORE, author="a")
    values: dict[str, Value] = {"web.host": "h", "db.password": SecretValue(secret)}
    configs.set_values(store, "dev", values, author="a")
    store.create_environment(
        "dev", kubeconfig=str(kubeconfig), context=None, namespace="shop", config="dev"
    )
    applications.create_app(store, "shop", template=Ref("bookstore"), environment="dev", author="a")


def _open(path: Path, key: str) -> Store:
    return Store.open(f"sqlite:///{path}", environ={KEY_VARIABLE: key})


def _shown(rendered: RenderedApp) -> str:
    """What `app render` shows of every service: hashes and redacted objects (YAML, JSON)."""
    parts = []
    for service in rendered.services.values():
        parts += [service.hash, objects_yaml(service.objects)]
        parts.append(json.dumps(redact_objects(service.objects)))
    return "\n".join(parts)


def _assert_keyed(rendered: RenderedApp, secret: str) -> None:
    for name in SECRET_SERVICES:
        service = rendered.services[name]
        guesses = unkeyed_digests(secret, service.objects, "shop", name)
        found = checksums(service.objects)
        assert found, name
        assert not guesses & {service.hash, *found}, name
        shown = _shown(rendered)
        assert not [g for g in guesses if g in shown], name


def test_weak_secret_checksum_and_hash_are_not_unkeyed_digests(
    store: Store, tmp_path: Path
) -> None:
    _world(store, tmp_path)
    _assert_keyed(render_application(store, "shop").rendered, WEAK)


def test_two_stores_with_different_keys_give_different_checksums(tmp_path: Path) -> None:
    key = generate_key()
    rendered = []
    for folder, secret_key in (("a", key), ("b", generate_key()), ("c", key)):
        (tmp_path / folder).mkdir()
        with _open(tmp_path / folder / "k.db", secret_key) as store:
            _world(store, tmp_path / folder)
            rendered.append(render_application(store, "shop").rendered)
    a, b, same_key = rendered
    for name in SECRET_SERVICES:
        assert checksums(a.services[name].objects) != checksums(b.services[name].objects)
        assert a.services[name].hash != b.services[name].hash
        assert a.services[name].hash == same_key.services[name].hash
    # A service without a secret does not depend on the key.
    assert a.services["web"].hash == b.services["web"].hash


def test_rotation_changes_secret_checksums_once_and_nothing_else(tmp_path: Path) -> None:
    """README "Rotating the secret key": the first key derives the checksum key."""
    old, new = generate_key(), generate_key()
    db = tmp_path / "k.db"
    with _open(db, old) as store:
        _world(store, tmp_path)
        before = render_application(store, "shop").rendered
    with _open(db, f"{old},{new}") as store:  # a new key listed second: nothing changes
        assert render_application(store, "shop").rendered.services == before.services
    with _open(db, f"{new},{old}") as store:  # the new key first: the rotation
        after = render_application(store, "shop").rendered
        again = render_application(store, "shop").rendered
    for name in SECRET_SERVICES:
        assert after.services[name].hash != before.services[name].hash
        assert after.services[name].hash == again.services[name].hash
    assert after.services["web"].hash == before.services["web"].hash


def test_without_a_key_a_template_secret_is_refused_by_service(tmp_path: Path) -> None:
    """No key: no digest of a secret at all; the error names the service and the fix."""
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "kapstan.yaml").write_text("name: lit\nservices:\n  db:\n    manifests: [db.yaml]\n")
    (folder / "db.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2}\n"
    )
    (tmp_path / "kubeconfig").write_text(NO_CLUSTER)
    with Store.open(f"sqlite:///{tmp_path / 'k.db'}", environ={}) as store:
        templates.import_template(store, folder, author="a")
        configs.set_values(store, "dev", {"x": 1}, author="a")
        store.create_environment(
            "dev",
            kubeconfig=str(tmp_path / "kubeconfig"),
            context=None,
            namespace="lit",
            config="dev",
        )
        with pytest.raises(SecretKeyError, match=r"service 'db'.*KAPSTAN_SECRET_KEY"):
            applications.create_app(
                store, "lit", template=Ref("lit"), environment="dev", author="a"
            )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(secret=st.text(min_size=1, max_size=40))
def test_no_output_contains_an_unkeyed_digest_of_any_secret(
    store: Store, tmp_path: Path, secret: str
) -> None:
    if not store.list_applications():
        _world(store, tmp_path, "first")
    written = configs.set_values(store, "dev", {"db.password": SecretValue(secret)}, author="a")
    rendered = render_at(store, "shop", 1, written.version.version).rendered
    assert rendered.services["catalog"].objects[1]["stringData"] == {"db.password": secret}
    _assert_keyed(rendered, secret)
