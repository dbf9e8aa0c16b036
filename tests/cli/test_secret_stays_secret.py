"""A secret key stays secret (issue 12, #6): `config set` without --secret and `config
import` store its new value encrypted; only --plain makes it plain, and that is audited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kapstan.store import Store
from tests.cli.conftest import Run
from tests.rawconfig import assert_encrypted, latest_raw

NEW = "no-longer-secret-Q4"


def test_config_set_without_secret_keeps_a_secret_key_encrypted(shop: Run, db_url: str) -> None:
    before = latest_raw(db_url, "dev", "db.password").version
    result = shop("config", "set", "dev", f"db.password={NEW}")
    assert result.code == 0 and "kept secret (encrypted): db.password" in result.out
    raw = latest_raw(db_url, "dev", "db.password")
    assert raw.version == before + 1
    assert_encrypted(raw, NEW)
    assert shop("config", "get", "dev", "db.password").out.strip() == "<redacted>"
    assert NEW not in shop("config", "get", "dev", "-o", "json").out
    # Other types keep their text; null is no text: refused, nothing saved.
    assert shop("config", "set", "dev", "db.password=true").code == 0
    assert_encrypted(latest_raw(db_url, "dev", "db.password"), "true")
    refused = shop("config", "set", "dev", "db.password=null")
    assert refused.code == 1 and "--plain" in refused.err


def test_config_import_keeps_a_secret_key_encrypted(shop: Run, db_url: str, tmp_path: Path) -> None:
    file = tmp_path / "values.yaml"
    file.write_text(f"db.password: {NEW}\nweb.host: shop.example.com\n")
    result = shop("config", "import", "dev", file)
    assert result.code == 0, result.err
    assert_encrypted(latest_raw(db_url, "dev", "db.password"), NEW)
    file.write_text(f"db.password: {NEW}-2\nweb.host: shop.example.com\n")
    replaced = shop("config", "import", "dev", file, "--replace")
    assert replaced.code == 0, replaced.err
    raw = latest_raw(db_url, "dev", "db.password")
    assert raw.version == 4  # versions 1-2 made by the fixture
    assert_encrypted(raw, f"{NEW}-2")


def test_plain_flag_makes_a_secret_key_plain_and_is_audited(
    shop: Run, db_url: str, store: Callable[[], Store]
) -> None:
    both = shop("config", "set", "dev", "--secret", "--plain", "db.password=x")
    assert both.code == 1 and "contradict" in both.err
    made = shop("config", "set", "dev", "--plain", "db.password=now-plain")
    assert made.code == 0 and "made plain (audited): db.password" in made.out
    raw = latest_raw(db_url, "dev", "db.password")
    assert not raw.secret and raw.value_json == '"now-plain"' and raw.ciphertext is None
    (entry,) = [e for e in store().list_audit(limit=500) if e.action == "config.plain"]
    assert (entry.actor, entry.name, entry.details) == ("tester", "dev", {"keys": ["db.password"]})
    assert entry.to_version == str(raw.version)
