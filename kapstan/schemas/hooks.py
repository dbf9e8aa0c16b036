"""The CI webhook's signature, as a caller computes it (the server checks it in
``kapstan.api.flows.hooks``; the CLI prints it next to a new webhook secret)."""

from __future__ import annotations

HOW_TO_SIGN = (
    "X-Kapstan-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + '\\n' + nonce + '\\n' + "
    "METHOD + '\\n' + path + '\\n' + body))"
)
