"""``kapstan app`` and its views through a server: same output as local, the server's checks apply.

The world (built once per module, on the module's server): template bookstore@1 (postgres,
catalog -> postgres, web -> catalog), config shop-dev (v2: web.host, catalog.replicas,
secret db.password; v3 scales catalog; v4 a new secret), app shop in dev at shop-dev@2,
created through the server, and revisions written as the deploy engine writes them:
catalog 1 (@2) and 2 (@3), web 1 (@2), postgres 1 (@2) and 2 (@4).
"""

from __future__ import annotations

import base64

import pytest

from kapstan.actions.rendering import render_at
from kapstan.render.hashing import service_yaml
from kapstan.store import Store
from tests.cli.conftest import FIXTURES
from tests.remote.conftest import Cli, Result

SECRETS = ("s3cret-pw", "n3w-secret-pw")
FORMATS = ("table", "json", "yaml")


def _record(store: Store, service: str, config_version: int, message: str) -> None:
    """A revision as a deploy records it: the redacted YAML and the hash of that render."""
    version = render_at(store, "shop", 1, config_version)
    rendered = version.rendered.services[service]
    store.add_revision(
        "shop",
        service,
        manifests=service_yaml(rendered),
        hash=rendered.hash,
        template=version.template.name,
        template_version=version.template_version,
        config=version.config_name,
        config_version=version.config_version,
        author="deployer",
        message=message,
    )


def _ok(result: Result) -> Result:
    assert result.code == 0, result.err
    return result


@pytest.fixture
def shop(cli: Cli) -> Cli:
    with cli.server.store() as store:
        if any(a.name == "shop" for a in store.list_applications()):
            return cli
    _ok(cli.local("template", "import", FIXTURES / "bookstore"))
    _ok(cli.local("config", "set", "shop-dev", "web.host=shop.example.com", "catalog.replicas=1"))
    _ok(cli.local("config", "set", "shop-dev", "--secret", f"db.password={SECRETS[0]}"))
    made = _ok(
        cli.remote(
            "app",
            "create",
            "shop",
            "--template",
            "bookstore@1",
            "--env",
            "dev",
            "--config",
            "shop-dev@2",
        )
    )
    assert made.out == (
        "application shop created: template bookstore@1, config shop-dev@2, environment dev\n"
    )
    _ok(cli.local("config", "set", "shop-dev", "catalog.replicas=4", "catalog.image.tag=2.0"))
    _ok(cli.local("config", "set", "shop-dev", "--secret", f"db.password={SECRETS[1]}"))
    with cli.server.store() as store:
        for service, config_version, message in (
            ("catalog", 2, "first"),
            ("web", 2, "first"),
            ("postgres", 2, "first"),
            ("catalog", 3, "scale"),
            ("postgres", 4, "new password"),
        ):
            _record(store, service, config_version, message)
    return cli


def _same(cli: Cli, *args: str, user: str = "root") -> Result:
    """Run ``args`` locally and through the server as ``user``: the same output, exit 0."""
    local, remote = cli.local(*args), cli.remote(*args, user=user)
    assert local.code == 0, local.err
    assert remote.code == 0, remote.err
    assert remote.out == local.out, args
    assert remote.err == local.err
    return remote


def _no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
        assert base64.b64encode(secret.encode()).decode() not in text


def test_create_through_the_server_is_seen_locally(shop: Cli) -> None:
    shown = shop.local("app", "show", "shop", "-o", "json").json()
    assert shown["template"] == "bookstore@1" and shown["config"] == "shop-dev@2"
    assert shown["services"] == ["postgres", "catalog", "web"] and shown["namespace"] == "dev"
    audit = shop.local("audit", "list", "--name", "shop", "-o", "json").json()
    assert [(e["actor"], e["action"]) for e in audit] == [("root", "app.create")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_and_show_print_the_same_either_way(shop: Cli, fmt: str) -> None:
    assert "shop" in _same(shop, "app", "list", "-o", fmt).out
    shown = _same(shop, "app", "show", "shop", "-o", fmt)
    assert "shop-dev@2" in shown.out and "postgres" in shown.out


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_is_the_same_with_secrets_redacted(shop: Cli, fmt: str) -> None:
    whole = _same(shop, "app", "render", "shop", "-o", fmt)
    assert "<redacted>" in whole.out and "StatefulSet" in whole.out
    _no_secret(whole.out)
    some = _same(shop, "app", "render", "shop", "-s", "web", "-s", "postgres", "-o", fmt)
    assert "registry.example.com/web" in some.out
    assert "registry.example.com/catalog" not in some.out
    _no_secret(some.out)


def test_render_as_json_keeps_the_services_objects(shop: Cli) -> None:
    data = _same(shop, "app", "render", "shop", "-s", "postgres", "-o", "json").json()
    assert [d["service"] for d in data] == ["postgres"]
    secret = next(o for o in data[0]["objects"] if o["kind"] == "Secret")
    values = {**secret.get("data", {}), **secret.get("stringData", {})}
    assert values and set(values.values()) == {"<redacted>"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_show_the_latest_revisions(shop: Cli, fmt: str) -> None:
    _same(shop, "app", "services", "shop", "-o", fmt)
    if fmt == "json":
        data = shop.remote("app", "services", "shop", "-o", "json").json()
        assert [(s["service"], s["dependsOn"], s["calls"], s["revision"]) for s in data] == [
            ("postgres", [], [], 2),
            ("catalog", ["postgres"], ["postgres"], 2),
            ("web", ["catalog"], ["catalog"], 1),
        ]


@pytest.mark.parametrize("fmt", ["text", "dot", "mermaid", "json", "yaml"])
def test_graph_in_every_format(shop: Cli, fmt: str) -> None:
    out = _same(shop, "app", "graph", "shop", "-o", fmt).out
    expected = {
        "text": "shop: 3 services in 3 waves\n",
        "dot": 'digraph "shop" {',
        "mermaid": "s_catalog -.->|calls| s_postgres",
        "json": '"waves"',
        "yaml": "waves:",
    }
    assert expected[fmt] in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_changes_name_services_keys_and_versions(shop: Cli, fmt: str) -> None:
    out = _same(shop, "app", "changes", "shop", "-o", fmt).out
    if fmt == "table":
        assert out.splitlines()[0] == "shop: template bookstore@1 -> @1, config shop-dev@2 -> @4"
        assert out.splitlines()[1:] == [
            "  postgres: changed (keys: db.password)",
            "  catalog: changed (keys: catalog.image.tag, catalog.replicas, db.password)",
        ]
    _same(shop, "app", "changes", "shop", "--config-version", "3", "-o", fmt)
    _no_secret(out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_history_with_authors_and_messages(shop: Cli, fmt: str) -> None:
    whole = _same(shop, "app", "history", "shop", "-o", fmt)
    assert "deployer" in whole.out
    if fmt != "table":
        assert "new password" in whole.out
    _same(shop, "app", "history", "shop", "-s", "catalog", "-o", fmt)


def test_history_of_an_app_never_deployed(shop: Cli) -> None:
    _ok(
        shop.remote(
            "app",
            "create",
            "fresh",
            "--template",
            "bookstore",
            "--env",
            "dev",
            "--config",
            "shop-dev",
        )
    )
    out = _same(shop, "app", "history", "fresh").out
    assert out == "fresh: no revisions yet (nothing deployed)\n"
    assert _same(shop, "app", "history", "fresh", "-o", "json").json() == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("service", ["catalog", "postgres"])
def test_diff_unified_and_structured(shop: Cli, fmt: str, service: str) -> None:
    unified = _same(shop, "app", "diff", "shop", "-s", service, "1", "2", "-o", fmt)
    structured = _same(
        shop, "app", "diff", "shop", "-s", service, "1", "2", "--structured", "-o", fmt
    )
    _no_secret(unified.out + structured.out)
    if fmt == "table" and service == "catalog":
        assert f"--- shop/{service}@1\n+++ shop/{service}@2\n" in unified.out
        assert "  spec.replicas: 1 -> 4\n" in structured.out
        assert "'registry.example.com/catalog:1.0.0' -> 'registry.example.com/catalog:2.0'" in (
            structured.out
        )
    same = _same(shop, "app", "diff", "shop", "-s", service, "2", "2")
    assert same.out == "no differences\n"


def test_update_prints_the_same_and_is_made_by_the_caller(shop: Cli) -> None:
    _ok(
        shop.remote(
            "app",
            "create",
            "upd",
            "--template",
            "bookstore",
            "--env",
            "dev",
            "--config",
            "shop-dev@2",
            user="dana",
        )
    )
    local = _ok(shop.local("app", "update", "upd"))
    _ok(shop.local("app", "update", "upd", "--template-version", "1", "--config-version", "2"))
    remote = _ok(shop.remote("app", "update", "upd", user="dana"))
    assert remote.out == local.out
    assert remote.out.endswith("application upd now uses template bookstore@1, config shop-dev@4\n")
    assert "  catalog: changed (keys: catalog.image.tag, catalog.replicas, db.password)" in (
        remote.out
    )
    assert shop.local("app", "show", "upd", "-o", "json").json()["config"] == "shop-dev@4"
    audit = shop.local("audit", "list", "--name", "upd", "-o", "json").json()
    assert [(e["actor"], e["action"]) for e in audit] == [  # each front door audits its own
        ("dana", "app.update"),
        ("local-op", "app.update"),
        ("local-op", "app.update"),
        ("dana", "app.create"),
    ]
    again = _same(shop, "app", "update", "upd")  # nothing left to change: the same either way
    assert "no service changes" in again.out


@pytest.mark.parametrize(
    "args",
    [
        ("app", "show", "nope"),
        ("app", "graph", "nope"),
        ("app", "render", "shop", "-s", "nope"),
        ("app", "history", "shop", "-s", "nope"),
        ("app", "diff", "shop", "-s", "catalog", "1", "7"),
        ("app", "changes", "shop", "--config-version", "9"),
        ("app", "update", "shop", "--template-version", "5"),
        ("app", "create", "x", "--template", "nope", "--env", "dev"),
        ("app", "create", "x", "--template", "bookstore", "--env", "nowhere"),
        ("app", "create", "x", "--template", "bookstore", "--env", "dev", "--config", "shop-dev@9"),
        ("app", "create", "x", "--template", "bookstore@0", "--env", "dev"),
        ("app", "create", "shop", "--template", "bookstore", "--env", "dev"),
        # dev has no config: the template's defaults leave db.password and web.host undefined.
        ("app", "create", "x", "--template", "bookstore", "--env", "dev"),
    ],
)
def test_errors_are_the_same_either_way_and_write_nothing(shop: Cli, args: tuple[str, ...]) -> None:
    local, remote = shop.both(*args)
    assert local.code == remote.code == 1
    assert remote.err == local.err
    assert remote.out == local.out == ""
    with shop.server.store() as store:
        assert "x" not in {a.name for a in store.list_applications()}
        assert "x" not in {c.name for c in store.list_configs()}
        assert store.get_application("shop").template_version == 1


def test_errors_name_what_is_at_fault(shop: Cli) -> None:
    expected = {
        ("app", "show", "nope"): "application 'nope' not found",
        (
            "app",
            "render",
            "shop",
            "-s",
            "nope",
        ): "application 'shop' has no service 'nope'; its services are: postgres, catalog, web",
        ("app", "history", "shop", "-s", "nope"): "application 'shop' has no service 'nope'",
        ("app", "diff", "shop", "-s", "catalog", "1", "7"): "has no revision 7 (latest is 2)",
        (
            "app",
            "create",
            "x",
            "--template",
            "bookstore",
            "--env",
            "dev",
        ): "web.host  at services/web.yaml:38  (service web)",
    }
    for args, message in expected.items():
        refused = shop.remote(*args)
        assert refused.code == 1 and message in refused.err, (args, refused.err)


VIEWS = [
    ("app", "show", "shop"),
    ("app", "render", "shop"),
    ("app", "services", "shop"),
    ("app", "graph", "shop"),
    ("app", "changes", "shop"),
    ("app", "history", "shop"),
    ("app", "diff", "shop", "-s", "catalog", "1", "2", "--structured"),
]


def test_a_viewer_reads_every_view_but_cannot_change_the_app(shop: Cli) -> None:
    for args in VIEWS:
        _same(shop, *args, user="vic")
    created = shop.remote(
        "app",
        "create",
        "mine",
        "--template",
        "bookstore",
        "--env",
        "dev",
        "--config",
        "shop-dev",
        user="vic",
    )
    assert created.code == 1
    assert "user 'vic' may not deploy in environment 'dev'" in created.err
    assert "'vic' is viewer there" in created.err
    updated = shop.remote("app", "update", "shop", user="vic")
    assert updated.code == 1 and "user 'vic' may not deploy" in updated.err
    with shop.server.store() as store:
        assert "mine" not in {a.name for a in store.list_applications()}
        assert store.get_application("shop").config_version == 2


def test_without_a_role_on_the_environment_every_command_is_refused(shop: Cli) -> None:
    _ok(
        shop.local(
            "env", "create", "qa", "--kubeconfig", shop.server.kubeconfig, "--namespace", "qa"
        )
    )
    _ok(
        shop.local(
            "app",
            "create",
            "qa-shop",
            "--template",
            "bookstore",
            "--env",
            "qa",
            "--config",
            "shop-dev@2",
        )
    )
    for args in [*VIEWS, ("app", "update", "shop")]:
        refused = shop.remote(*("qa-shop" if a == "shop" else a for a in args), user="vic")
        assert refused.code == 1, args
        assert "user 'vic' may not" in refused.err and "in environment 'qa'" in refused.err, args
        assert "'vic' has no role there" in refused.err
    made = shop.remote(
        "app",
        "create",
        "qa-2",
        "--template",
        "bookstore",
        "--env",
        "qa",
        "--config",
        "shop-dev@2",
        user="dana",
    )
    assert made.code == 1 and "user 'dana' may not deploy in environment 'qa'" in made.err
    # Lists hide what the caller may not view (the local store shows everything).
    names = [a["name"] for a in shop.remote("app", "list", "-o", "json", user="vic").json()]
    assert "qa-shop" not in names and "shop" in names
    assert "qa-shop" in [a["name"] for a in shop.local("app", "list", "-o", "json").json()]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_app_following_the_latest_config_shows_the_version_in_use(shop: Cli, fmt: str) -> None:
    with shop.server.store() as store:
        if "follower" not in {a.name for a in store.list_applications()}:
            _ok(
                shop.remote(
                    "app",
                    "create",
                    "follower",
                    "--template",
                    "bookstore",
                    "--env",
                    "dev",
                    "--config",
                    "shop-dev@2",
                )
            )
            store.update_application("follower", config_version=None)
    shown = _same(shop, "app", "show", "follower", "-o", fmt)
    assert "shop-dev@4" in shown.out
    listed = _same(shop, "app", "list", "-o", fmt)
    assert "follower" in listed.out


def test_instances_print_the_same_either_way(shop: Cli) -> None:
    """``app instances`` (issue 17) through the server and locally: the same records and
    table; the module's placeholder kubeconfig names no cluster, so health is unread (4)."""
    for fmt in FORMATS:
        local, remote = shop.both("app", "instances", "shop", "-o", fmt)
        assert local.code == remote.code == 4, (local.err, remote.err)
        assert remote.out == local.out, fmt
    # other tests of this module add applications of the same template (its family)
    instances = shop.local("app", "instances", "shop", "-o", "json").json()["instances"]
    (instance,) = [i for i in instances if i["application"] == "shop"]
    assert instance["application"] == "shop" and instance["templateVersion"] == 1
    assert instance["health"]["status"] == "unknown" and instance["health"]["error"]
    # pinned to shop-dev@2; the newest revision (postgres 2) ran @4, catalog's @3: behind
    assert instance["configVersion"] == 2
    assert (instance["deployed"]["configVersion"], instance["deployed"]["current"]) == (4, False)
