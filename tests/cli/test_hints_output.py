"""The CLI tells the user what they probably meant, and prints for people and programs alike.

No cluster: revisions are recorded in the store as a deploy records them.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kapstan.actions.apphistory import rollback_targets
from kapstan.cli.common import iso
from kapstan.cli.output import Format, format_data
from kapstan.errors import SecretKeyError
from kapstan.model.values import REDACTED, SecretValue
from kapstan.plan.bookkeeping import without_bookkeeping
from kapstan.store import Revision, Store
from kapstan.store.crypto import generate_key
from tests.cli.conftest import Run
from tests.market.conftest import write_catalog

ISO_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")
REPR_TOKENS = re.compile(r"\b(None|True|False)\b|\[\]|\{\}|\['|\{'")


def test_reads_that_show_no_secret_need_no_secret_key(
    shop: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KAPSTAN_SECRET_KEY")
    for args in [
        ("config", "list"),
        ("config", "get", "dev"),
        ("env", "show", "dev"),
        ("app", "show", "shop"),
    ]:
        result = shop(*args)
        assert result.code == 0, (args, result.err)
    shown = shop("config", "get", "dev", "-o", "json").json()
    assert shown["values"]["db.password"] == "<redacted>"
    # A read that does show a secret's effect still says what is missing.
    rendered = shop("app", "render", "shop")
    assert rendered.code == 1 and "KAPSTAN_SECRET_KEY" in rendered.err


def test_env_create_with_a_missing_config_says_how_to_make_it(
    kapstan: Run, kubeconfig: object
) -> None:
    result = kapstan(
        "env",
        "create",
        "prod",
        "--kubeconfig",
        str(kubeconfig),
        "--namespace",
        "prod",
        "--config",
        "prod",
    )
    assert result.code == 1
    assert "kapstan config set prod KEY=VALUE" in result.err
    assert "kapstan config import prod FILE" in result.err
    assert kapstan("env", "list", "-o", "json").json() == [], "nothing was created"


def test_an_environments_config_can_be_changed_later_and_is_audited(
    shop: Run, kubeconfig: object
) -> None:
    assert shop("config", "set", "prod", "web.host=shop.example.org").code == 0
    changed = shop("env", "set-config", "dev", "prod", "-o", "json")
    assert changed.code == 0, changed.err
    assert changed.json()["config"] == "prod"
    assert shop("env", "show", "dev", "-o", "json").json()["config"] == "prod"
    missing = shop("env", "set-config", "dev", "nope")
    assert missing.code == 1 and "kapstan config set nope" in missing.err
    audit = shop("audit", "list", "-o", "json").json()
    entries = [e for e in audit if e["action"] == "environment.config"]
    assert len(entries) == 1, audit
    cleared = shop("env", "set-config", "dev", "--none")
    assert cleared.code == 0 and "(none)" in cleared.out


def test_json_and_yaml_timestamps_are_iso_8601_with_a_zone(shop: Run) -> None:
    stamps = [
        shop("app", "list", "-o", "json").json()[0]["created"],
        shop("env", "show", "dev", "-o", "json").json()["created"],
        shop("config", "list", "-o", "json").json()[0]["created"],
        shop("template", "list", "-o", "json").json()[0]["created"],
        yaml.safe_load(shop("app", "show", "shop", "-o", "yaml").out)["updated"],
    ]
    for stamp in stamps:
        assert isinstance(stamp, str) and ISO_WITH_ZONE.match(stamp), stamp
        assert datetime.fromisoformat(stamp).tzinfo is not None


def test_no_python_reprs_in_what_people_read(shop: Run) -> None:
    commands = [
        ("env", "show", "dev"),
        ("env", "list"),
        ("app", "show", "shop"),
        ("app", "list"),
        ("config", "get", "dev"),
        ("config", "list"),
        ("config", "history", "dev"),
        ("template", "list"),
        ("template", "show", "bookstore"),
        ("app", "graph", "shop"),
        ("app", "history", "shop"),
        ("app", "changes", "shop"),
    ]
    for args in commands:
        result = shop(*args)
        assert result.code == 0, (args, result.err)
        found = REPR_TOKENS.search(result.out + result.err)
        assert found is None, (args, found, result.out)


def _revisions(store: Store, manifests: list[str], *, config_versions: list[int]) -> None:
    for number, (text, config_version) in enumerate(zip(manifests, config_versions, strict=True)):
        store.add_revision(
            "shop",
            "web",
            manifests=text,
            hash=f"sha256:{abs(hash(text)):x}",
            template="bookstore",
            template_version=1,
            config="dev",
            config_version=config_version,
            author="tester",
            message=f"change {number + 1}",
        )


WEB = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {{kapstan.io/app: shop, app: web}}
  annotations: {{kapstan.io/revision: '{rev}', kapstan.io/config-version: '{cv}'}}
spec:
  replicas: {replicas}
  template:
    metadata:
      annotations: {{kapstan.io/config-checksum: '{sum}'}}
"""


def test_history_shows_messages_and_rollbacks(shop: Run, store: Callable[[], Store]) -> None:
    one = WEB.format(rev=1, cv=2, replicas=1, sum="a")
    two = WEB.format(rev=2, cv=3, replicas=3, sum="b")
    _revisions(store(), [one, two, one], config_versions=[2, 3, 2])
    records = shop("app", "history", "shop", "-o", "json").json()
    assert [(r["revision"], r["message"], r["rollbackTo"]) for r in records] == [
        (1, "change 1", None),
        (2, "change 2", None),
        (3, "change 3", 1),
    ]
    table = shop("app", "history", "shop").out
    assert "MESSAGE" in table and "ROLLBACK" in table
    assert re.search(r"\b3\b.*to 1.*change 3", table), table


def test_diff_hides_kapstans_bookkeeping_unless_asked(
    shop: Run, store: Callable[[], Store]
) -> None:
    one = WEB.format(rev=1, cv=2, replicas=1, sum="a")
    two = WEB.format(rev=2, cv=3, replicas=3, sum="b")
    _revisions(store(), [one, two], config_versions=[2, 3])
    plain = shop("app", "diff", "shop", "1", "2", "-s", "web")
    assert plain.code == 0, plain.err
    assert "replicas: 3" in plain.out and "kapstan.io/" not in plain.out
    assert "app: web" in plain.out, "the user's own labels stay"
    structured = shop("app", "diff", "shop", "1", "2", "-s", "web", "--structured", "-o", "json")
    paths = [f["path"] for c in structured.json()["structured"] for f in c["fields"]]
    assert paths and not [p for p in paths if "kapstan.io" in p], paths
    managed = shop("app", "diff", "shop", "1", "2", "-s", "web", "--show-managed")
    assert "kapstan.io/revision" in managed.out and "kapstan.io/config-checksum" in managed.out


KEYS = st.sampled_from(["app", "tier", "kapstan.io/revision", "kapstan.io/x", "example.com/y"])
MAPS = st.dictionaries(KEYS, st.text(max_size=3), max_size=4)


@settings(max_examples=50, deadline=None)
@given(labels=MAPS, annotations=MAPS, pod=MAPS)
def test_bookkeeping_filter_keeps_everything_else(
    labels: dict[str, str], annotations: dict[str, str], pod: dict[str, str]
) -> None:
    obj: dict[str, Any] = {
        "kind": "Deployment",
        "metadata": {"name": "w", "labels": labels, "annotations": annotations},
        "spec": {"template": {"metadata": {"labels": pod}}},
    }
    (out,) = without_bookkeeping([obj])
    for found, given_ in (
        (out["metadata"].get("labels", {}), labels),
        (out["metadata"].get("annotations", {}), annotations),
        (out["spec"]["template"]["metadata"].get("labels", {}), pod),
    ):
        assert found == {k: v for k, v in given_.items() if not k.startswith("kapstan.io/")}
    assert obj["metadata"]["labels"] == labels, "the input is not changed"


def _revision(number: int, content: str) -> Revision:
    return Revision(
        app="a",
        service="s",
        number=number,
        manifests="",
        hash=content,
        template="t",
        template_version=1,
        config="c",
        config_version=1,
        author="x",
        message="",
        status="deployed",
        created_at=datetime(2026, 1, 1),
    )


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from("abc"), max_size=8))
def test_a_rollback_mark_points_back_at_the_same_content(contents: list[str]) -> None:
    revisions = [_revision(n + 1, c) for n, c in enumerate(contents)]
    marks = rollback_targets(revisions)
    for (_, number), target in marks.items():
        assert target < number - 1 or contents[number - 2] != contents[number - 1]
        assert contents[target - 1] == contents[number - 1]
        assert contents[number - 2] != contents[number - 1], "a redeploy is no rollback"


def test_every_write_command_prints_what_it_made_as_json_and_yaml(
    kapstan: Run, bookstore: Path, kubeconfig: Path, tmp_path: Path
) -> None:
    (tmp_path / "dev.yaml").write_text("web.host: shop.example.com\n")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n"
    )
    writes: list[tuple[tuple[str | Path, ...], dict[str, Any]]] = [
        (("template", "import", bookstore), {"name": "bookstore", "version": 1, "saved": True}),
        (("config", "import", "dev", tmp_path / "dev.yaml"), {"name": "dev", "version": 1}),
        (("config", "set", "dev", "catalog.replicas=1"), {"version": 2, "saved": True}),
        (("config", "set", "dev", "--secret", "db.password=pw"), {"version": 3}),
        (("config", "unset", "dev", "catalog.replicas"), {"version": 4}),
        (("config", "rollback", "dev", "3"), {"version": 5}),
        (
            (
                "env",
                "create",
                "dev",
                "--kubeconfig",
                kubeconfig,
                "--namespace",
                "shop",
                "--config",
                "dev",
            ),
            {"name": "dev", "config": "dev"},
        ),
        (("env", "clone", "dev", "qa", "--namespace", "qa"), {"name": "qa", "config": "qa"}),
        (("env", "set-config", "qa", "dev"), {"name": "qa", "config": "dev"}),
        (
            (
                "app",
                "create",
                "shop",
                "--template",
                "bookstore",
                "--env",
                "dev",
                "--config",
                "dev@3",
            ),
            {"name": "shop", "config": "dev@3"},
        ),
        (("app", "update", "shop"), {"name": "shop", "config": "dev@5"}),
        (
            ("import", "manifests", tmp_path / "m", "--name", "settings"),
            {"name": "settings", "version": 1},
        ),
        (("user", "create", "ana", "--no-password"), {"name": "ana", "admin": False}),
        (("user", "grant", "ana", "dev", "viewer"), {"user": "ana", "role": "viewer"}),
        (("env", "approval", "qa", "--required"), {"name": "qa", "requiresApproval": True}),
        (
            ("env", "set", "qa", "--allow-namespace", "qa-jobs"),
            {"name": "qa", "allowedNamespaces": ["qa-jobs"]},
        ),
    ]
    for args, expected in writes:
        result = kapstan(*args, "-o", "json")
        assert result.code == 0, (args, result.err)
        made = result.json()
        assert {k: made.get(k) for k in expected} == expected, (args, made)
    installed = kapstan(
        "market", "install", "postgresql", "--env", "dev", "--app", "pg", "-o", "json"
    )
    assert installed.code == 0, installed.err
    assert installed.json()["application"] == {
        "name": "pg",
        "environment": "dev",
        "namespace": "shop",
    }
    token = kapstan("user", "token", "ana", "-o", "yaml")
    assert token.code == 0, token.err
    assert yaml.safe_load(token.out)["token"], "the token, once, as data"
    again = yaml.safe_load(kapstan("template", "import", bookstore, "-o", "yaml").out)
    assert (again["version"], again["saved"]) == (1, False)


def test_every_delete_revoke_and_export_prints_what_it_did_as_json_and_yaml(
    shop: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deletes, revocations, market remove and template export, each with ``-o json|yaml``.

    The app was never deployed, so deleting it reaches no cluster.
    """
    monkeypatch.setenv("KAPSTAN_MARKETS_FILE", str(tmp_path / "markets.json"))
    for step in [
        ("user", "create", "ana", "--no-password"),
        ("user", "grant", "ana", "dev", "viewer"),
        ("user", "token", "ana"),
        ("market", "add", "team", write_catalog(tmp_path / "team")),
    ]:
        made = shop(*step)
        assert made.code == 0, (step, made.err)
    prefix = shop("token", "list", "--user", "ana", "-o", "json").json()[0]["prefix"]

    def done(*args: str | Path, fmt: str = "json") -> Any:
        result = shop(*args, "-o", fmt)
        assert result.code == 0, (args, result.err)
        return result.json() if fmt == "json" else yaml.safe_load(result.out)

    exported = done("template", "export", "bookstore", tmp_path / "out")
    assert (exported["name"], exported["version"]) == ("bookstore", 1)
    assert exported["directory"] == str(tmp_path / "out")
    assert exported["files"] and all((tmp_path / "out" / f).is_file() for f in exported["files"])
    assert done("user", "disable", "ana") == {"user": "ana", "disabled": True}
    assert done("user", "enable", "ana", fmt="yaml") == {"user": "ana", "disabled": False}
    revoked = done("user", "revoke", "ana", "dev")
    assert (revoked["revoked"], revoked["changed"]) == ("viewer", True)
    assert done("user", "revoke", "ana", "dev")["changed"] is False, "nothing left to revoke"
    token = done("token", "revoke", prefix)["revoked"]
    assert (token["kind"], token["user"], token["prefix"]) == ("token", "ana", prefix)
    assert done("market", "remove", "team")["removed"] == [
        {
            "kind": "catalog",
            "name": "team",
            "source": str((tmp_path / "team").resolve()),
            "path": str((tmp_path / "team").resolve()),
        }
    ]
    app = done("app", "delete", "shop", "--yes")
    assert app["deleted"] == {"kind": "application", "name": "shop"}
    assert (app["kept"]["namespace"], app["status"]) == ("shop", "succeeded")
    env = done("env", "delete", "dev", "--yes")
    assert env == {
        "deleted": {"kind": "environment", "name": "dev"},
        "kept": {"namespace": "shop"},
        "applications": [],
    }
    assert done("config", "delete", "dev", "--yes") == {
        "deleted": {"kind": "config", "name": "dev"}
    }
    template = done("template", "delete", "bookstore", "--yes", fmt="yaml")
    assert template == {"deleted": {"kind": "template", "name": "bookstore", "versions": [1]}}


def test_an_approval_reads_without_python_reprs(shop: Run, kubeconfig: Path) -> None:
    assert shop("config", "set", "prod", "web.host=shop.example.org").code == 0
    assert (
        shop(
            "env",
            "create",
            "prod",
            "--kubeconfig",
            kubeconfig,
            "--namespace",
            "prod",
            "--config",
            "prod",
        ).code
        == 0
    )
    assert shop("env", "approval", "prod", "--required").code == 0
    assert shop("user", "create", "tester", "--no-password").code == 0
    assert shop("user", "grant", "tester", "prod", "deployer").code == 0
    waiting = shop("app", "promote", "shop", "--to", "prod")
    assert waiting.code == 3, waiting.err
    number = re.search(r"approval (\d+) is pending", waiting.out + waiting.err)
    assert number, (waiting.out, waiting.err)
    shown = shop("approval", "show", number.group(1))
    assert shown.code == 0, shown.err
    assert "asked:" in shown.out
    assert REPR_TOKENS.search(shown.out) is None, shown.out


@settings(max_examples=50, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.one_of(st.none(), st.timezones()),
    )
)
def test_every_moment_prints_as_iso_8601_with_a_zone(moment: datetime) -> None:
    for text in (
        iso(moment),
        json.loads(format_data({"at": moment}, Format.json))["at"],
        yaml.safe_load(format_data([moment], Format.yaml))[0],
    ):
        assert ISO_WITH_ZONE.match(text), text
        parsed = datetime.fromisoformat(text)
        # The same instant, in UTC (compared in UTC: a zone's DST gap makes cross-zone
        # comparison of local times ambiguous).
        expected = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
        assert parsed.utcoffset() == timedelta(0)
        assert parsed.replace(tzinfo=None) == expected.replace(microsecond=0, tzinfo=None)


@settings(max_examples=20, deadline=None)
@given(
    secrets=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9.]{0,8}", fullmatch=True),
        st.text(min_size=1, max_size=20),
        min_size=1,
        max_size=4,
    )
)
def test_a_keyless_read_never_decrypts(secrets: dict[str, str]) -> None:
    key = generate_key()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/k.db"
        with Store.open(url, environ={"KAPSTAN_SECRET_KEY": key}) as keyed:
            keyed.create_config("c", {k: SecretValue(v) for k, v in secrets.items()}, author="a")
        with Store.open(url, environ={}) as keyless:
            found = keyless.get_config("c")
            assert [v.version for v in keyless.list_configs()] == [found.version]
            assert {k: str(v) for k, v in found.values.items()} == dict.fromkeys(secrets, REDACTED)
            for value in found.values.values():
                with pytest.raises(SecretKeyError):
                    assert isinstance(value, SecretValue)
                    value.reveal()
        with Store.open(url, environ={"KAPSTAN_SECRET_KEY": key}) as keyed:
            revealed = keyed.get_config("c").values
            assert {
                k: v.reveal() for k, v in revealed.items() if isinstance(v, SecretValue)
            } == secrets
