"""``kapstan secret-key``: make the key that encrypts secret config values."""

from __future__ import annotations

import typer

from kapstan.store.crypto import KEY_VARIABLE, generate_key

app = typer.Typer(help=f"The key that encrypts secret config values at rest (${KEY_VARIABLE}).")


@app.callback()
def root() -> None:
    # A callback keeps `generate` a sub-command instead of Typer folding it into the group.
    pass


@app.command()
def generate() -> None:
    """Print a new random key; put it in $KAPSTAN_SECRET_KEY (and keep it safe).

    To rotate, list the new key first: KAPSTAN_SECRET_KEY=NEW,OLD (the first encrypts and
    keys the checksums of secrets, so services with secrets restart once at their next
    deploy; any key decrypts).
    """
    print(generate_key())
