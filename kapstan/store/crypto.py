"""Encryption of secret config values at rest (Fernet, from ``cryptography``).

The key comes from the environment: ``KAPSTAN_SECRET_KEY`` holds a Fernet key, or
``KAPSTAN_SECRET_KEY_FILE`` names a file holding one. Several comma-separated keys
may be given to rotate: the first encrypts, any of them decrypts.
Messages never include a ciphertext or a plaintext.

The same first key also yields, by HKDF, the *checksum key*: a separate 32-byte key that
keys the digests of secret values shown in rendered output (``kapstan.io/config-checksum``
and content hashes), so that a digest cannot be checked against guesses offline. It is
never the encryption key itself, and it changes when the first key changes (a rotation).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kapstan.errors import SecretKeyError

KEY_VARIABLE = "KAPSTAN_SECRET_KEY"
KEY_FILE_VARIABLE = "KAPSTAN_SECRET_KEY_FILE"
HOW_TO_SET = (
    f"set {KEY_VARIABLE} to a key made by `kapstan secret-key generate` "
    f"or {KEY_FILE_VARIABLE} to a file holding one"
)
# Changing this label changes every checksum of a secret (pods restart once): never reuse it.
CHECKSUM_KEY_INFO = b"kapstan checksum v1"


def generate_key() -> str:
    """A new random Fernet key, as text."""
    return Fernet.generate_key().decode("ascii")


def key_configured(environ: Mapping[str, str]) -> bool:
    """Whether ``environ`` names a key at all (a bad one still fails when it is read)."""
    return bool(environ.get(KEY_VARIABLE, "").strip() or environ.get(KEY_FILE_VARIABLE, "").strip())


class SecretBox:
    """Encrypts and decrypts secret values with the configured key(s)."""

    def __init__(self, keys: list[str], source: str) -> None:
        self._source = source
        try:
            raw = [key.strip().encode("ascii") for key in keys]
            self._fernet = MultiFernet([Fernet(key) for key in raw])
        except (ValueError, UnicodeEncodeError) as exc:
            raise SecretKeyError(
                f"the key in {source} is not a Fernet key (32 url-safe base64 bytes); {HOW_TO_SET}"
            ) from exc
        self._checksum_key = _derive(base64.urlsafe_b64decode(raw[0]), CHECKSUM_KEY_INFO)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SecretBox:
        """The box for the key named by ``environ``; SecretKeyError if none is set."""
        text = environ.get(KEY_VARIABLE, "").strip()
        source = KEY_VARIABLE
        if not text and environ.get(KEY_FILE_VARIABLE, "").strip():
            path = Path(environ[KEY_FILE_VARIABLE].strip())
            source = f"{KEY_FILE_VARIABLE} ({path})"
            try:
                text = path.read_text(encoding="ascii").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise SecretKeyError(
                    f"cannot read the key file {path}: {exc}; {HOW_TO_SET}"
                ) from exc
        if not text:
            raise SecretKeyError(f"secret values need a key: {HOW_TO_SET}")
        return cls([key for key in text.split(",") if key.strip()], source)

    def checksum_key(self) -> bytes:
        """The key for digests of secret values (derived from the first key, never it)."""
        return self._checksum_key

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str, what: str) -> str:
        """Decrypt ``token``; ``what`` names the value in the error (never the value)."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise SecretKeyError(
                f"cannot decrypt {what}: it was encrypted with another key than the one "
                f"in {self._source}; {HOW_TO_SET}"
            ) from exc


def _derive(key: bytes, info: bytes) -> bytes:
    """A 32-byte sub-key of ``key`` for the use named by ``info`` (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)
