"""Revisions: numbered per application and service, stored as given."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.store import Revision, Store
from kapstan.store.revisions import NewRevision, RevisionUpdate


@pytest.fixture
def app(store: Store) -> Store:
    store.save_template_version("shop", {"a.yaml": "1"}, "d1", author="ana")
    store.create_config("dev", {"replicas": 1}, author="ana")
    store.create_environment("dev", kubeconfig="/k", context=None, namespace="a", config="dev")
    store.create_application(
        "web",
        template="shop",
        template_version=1,
        environment="dev",
        config="dev",
        config_version=None,
    )
    return store


def revision(
    service: str,
    hash: str,
    *,
    application: str = "web",
    message: str = "",
    status: str = "deployed",
    expected: int | None = None,
) -> NewRevision:
    """A revision of ``service``: the fields every test shares, and the ones tests vary."""
    return NewRevision(
        application,
        service,
        manifests=f"kind: Deployment # {hash}\n",
        hash=hash,
        template="shop",
        template_version=1,
        config="dev",
        config_version=1,
        author="ana",
        message=message,
        status=status,
        expected=expected,
    )


def add(store: Store, new: NewRevision) -> Revision:
    """``new`` recorded through ``add_revision``, which takes all its fields but ``expected``
    (the number a batch counts on: ``record_revisions`` only)."""
    fields = asdict(new)
    del fields["expected"]
    return store.add_revision(**fields)


def deploy(
    store: Store, service: str, hash: str, message: str = "", status: str = "deployed"
) -> Revision:
    return add(store, revision(service, hash, message=message, status=status))


def pending(service: str, hash: str, expected: int | None = None) -> NewRevision:
    return revision(service, hash, status="pending", expected=expected)


def test_numbers_count_per_service(app: Store) -> None:
    assert [deploy(app, s, h).number for s, h in [("api", "a1"), ("api", "a2"), ("db", "d1")]] == [
        1,
        2,
        1,
    ]
    assert deploy(app, "api", "a3").number == 3


def test_stored_as_given_and_read_back(app: Store) -> None:
    saved = deploy(app, "api", "h1", message="first deploy", status="failed")
    assert app.get_revision("web", "api", 1) == saved
    assert saved.manifests == "kind: Deployment # h1\n"
    assert (saved.app, saved.template, saved.config, saved.config_version) == (
        "web",
        "shop",
        "dev",
        1,
    )
    assert (saved.message, saved.status) == ("first deploy", "failed")


def test_list_by_app_and_by_service(app: Store) -> None:
    for service, hash in [("db", "d1"), ("api", "a1"), ("api", "a2")]:
        deploy(app, service, hash)
    everything = [(r.service, r.number) for r in app.list_revisions("web")]
    assert everything == [("api", 1), ("api", 2), ("db", 1)]
    assert [r.hash for r in app.list_revisions("web", "api")] == ["a1", "a2"]
    assert app.list_revisions("web", "cache") == []


def test_the_latest_of_many_services_in_one_read_equals_each_ones_latest(app: Store) -> None:
    for service, hash, status in [
        ("db", "d1", "deployed"),
        ("api", "a1", "deployed"),
        ("api", "a2", "failed"),
        ("web", "w1", "pending"),
    ]:
        deploy(app, service, hash, status=status)
    services = ["api", "db", "web", "cache"]
    found = app.latest_revisions("web", services)
    assert found == {s: app.latest_revision("web", s, status=None) for s in services}
    assert [(r.hash, r.status) if r else None for r in found.values()] == [
        ("a2", "failed"),
        ("d1", "deployed"),
        ("w1", "pending"),
        None,
    ]
    # After a revision is recorded and completed: the newest, as completed.
    deploy(app, "db", "d2", status="pending")
    app.update_revision("web", "db", 2, inventory=[], message="done", status="deployed")
    newest = app.latest_revisions("web", ["db"])["db"]
    assert newest is not None and (newest.number, newest.message) == (2, "done")
    assert app.latest_revisions("web", []) == {}


def test_changes_recorded_together_are_numbered_in_order_and_all_or_nothing(app: Store) -> None:
    done = app.record_revisions(
        [
            pending("api", "a1", expected=1),
            pending("db", "d1"),
            pending("api", "a2", expected=2),
            RevisionUpdate("web", "api", 1, [], "applied", "deployed"),
        ]
    )
    assert [(r.service, r.number, r.status) for r in done] == [
        ("api", 1, "pending"),
        ("db", 1, "pending"),
        ("api", 2, "pending"),
        ("api", 1, "deployed"),
    ]
    with pytest.raises(ConflictError, match="revision 5 was expected but the store gave 2"):
        app.record_revisions([pending("cache", "c1"), pending("db", "d2", expected=5)])
    with pytest.raises(NotFoundError, match="has no revision 9"):
        app.record_revisions([pending("cache", "c1"), RevisionUpdate("web", "db", 9, [])])
    with pytest.raises(InputError, match="the hash is empty"):
        app.record_revisions([pending("cache", "c1"), pending("db", "")])
    assert app.list_revisions("web", "cache") == [], "a refused batch writes none of it"


def test_not_found_messages(app: Store) -> None:
    with pytest.raises(NotFoundError, match=r"^application 'nope' not found$"):
        app.list_revisions("nope")
    with pytest.raises(NotFoundError, match=r"^application 'nope' not found$"):
        add(app, revision("api", "h", application="nope"))
    with pytest.raises(
        NotFoundError, match=r"^service 'api' of application 'web' has no revisions$"
    ):
        app.get_revision("web", "api", 1)
    deploy(app, "api", "a1")
    with pytest.raises(
        NotFoundError,
        match=r"^service 'api' of application 'web' has no revision 4 \(latest is 1\)$",
    ):
        app.get_revision("web", "api", 4)


def test_bad_input_is_refused(app: Store) -> None:
    with pytest.raises(InputError, match="service name 'API'"):
        deploy(app, "API", "h")
    with pytest.raises(InputError, match="the hash is empty"):
        deploy(app, "api", "")
    assert app.list_revisions("web") == []
