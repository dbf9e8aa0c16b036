"""SecretBox: where the key comes from, and the errors when it is missing or bad."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from kapstan.errors import SecretKeyError
from kapstan.store.crypto import SecretBox, generate_key


def test_generated_keys_are_fernet_keys_and_differ() -> None:
    first, second = generate_key(), generate_key()
    assert first != second
    Fernet(first.encode())


def test_round_trip_with_key_from_environment() -> None:
    box = SecretBox.from_env({"KAPSTAN_SECRET_KEY": generate_key()})
    token = box.encrypt("pässword")
    assert "pässword" not in token
    assert box.decrypt(token, "x") == "pässword"


def test_key_from_a_file(tmp_path: Path) -> None:
    key = generate_key()
    (tmp_path / "key").write_text(key + "\n")
    box = SecretBox.from_env({"KAPSTAN_SECRET_KEY_FILE": str(tmp_path / "key")})
    assert SecretBox.from_env({"KAPSTAN_SECRET_KEY": key}).decrypt(box.encrypt("a"), "x") == "a"


def test_missing_key_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(SecretKeyError, match=f"cannot read the key file {missing}"):
        SecretBox.from_env({"KAPSTAN_SECRET_KEY_FILE": str(missing)})


def test_no_key_says_how_to_set_one() -> None:
    with pytest.raises(SecretKeyError, match="`kapstan secret-key generate`"):
        SecretBox.from_env({"KAPSTAN_SECRET_KEY": "  "})


def test_malformed_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(SecretKeyError) as caught:
        SecretBox.from_env({"KAPSTAN_SECRET_KEY": "not-a-key-at-all"})
    assert "not a Fernet key" in str(caught.value)
    assert "not-a-key-at-all" not in str(caught.value)
