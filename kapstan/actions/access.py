"""Taking access away: disable (and enable) a user, revoke a role, revoke a token; audited.

Each takes effect at the next request: a disabled user's tokens are refused and its
console sessions end; a revoked token is refused. Who may call these is the caller's
business (the API: an administrator; an environment's admin for its roles).
"""

from __future__ import annotations

from collections.abc import Sequence

from kapstan.actions.storeports import AccessEdits
from kapstan.errors import InputError, NotFoundError
from kapstan.store import TokenInfo, User


def disable_user(store: AccessEdits, name: str, *, author: str, via: str = "cli") -> User:
    if name == author:
        raise InputError(f"{name!r} cannot disable itself; another administrator can")
    user = store.disable_user(name)
    store.audit(author, "user.disable", kind="user", name=name, details={"via": via})
    return user


def enable_user(store: AccessEdits, name: str, *, author: str, via: str = "cli") -> User:
    user = store.enable_user(name)
    store.audit(author, "user.enable", kind="user", name=name, details={"via": via})
    return user


def revoke_role(
    store: AccessEdits, name: str, environment: str, *, author: str, via: str = "cli"
) -> str | None:
    """Take ``name``'s role in ``environment`` away; the role it had (None: none)."""
    before = store.role_for(name, environment)
    store.revoke_role(name, environment)
    store.audit(
        author,
        "role.revoke",
        kind="user",
        name=name,
        environment=environment,
        from_version=None if before is None else str(before),
        details={"via": via},
    )
    return None if before is None else str(before)


def revoke_token(store: AccessEdits, token_id: int, *, author: str, via: str = "cli") -> TokenInfo:
    info = store.revoke_token(token_id)
    store.audit(
        author,
        "token.revoke",
        kind="user",
        name=info.user,
        details={"token": token_id, "prefix": info.prefix, "via": via},
    )
    return info


def find_token(tokens: Sequence[TokenInfo], wanted: str) -> TokenInfo:
    """The token named by its id or by the start of its text (``kst_Ab12``), among ``tokens``."""
    text = wanted.strip()
    if text.isdigit():
        found = [t for t in tokens if t.id == int(text)]
    elif len(text) >= 4:
        found = [t for t in tokens if t.prefix.startswith(text) or text.startswith(t.prefix)]
    else:
        raise InputError(
            f"name a token by its id or its first characters (4 or more), not {wanted!r}"
        )
    if not found:
        raise NotFoundError(
            f"no token {wanted!r} among those you may see; list them with `kapstan token list`"
        )
    if len(found) > 1:
        ids = ", ".join(f"{t.id} ({t.user})" for t in found)
        raise InputError(f"{wanted!r} names several tokens: {ids}; give the id")
    return found[0]
