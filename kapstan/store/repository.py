"""``Store``: Kapstan's persistent state behind one object.

The per-object parts live in their own modules (templates, configs, environments,
applications, revisions, operations, locks, users, tokens, roles, audit, approvals) and
are mixed in here, so every method is ``store.<method>``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from kapstan.store.applications import ApplicationStore
from kapstan.store.approvals import ApprovalStore
from kapstan.store.audit import AuditStore
from kapstan.store.base import Clock, utc_now
from kapstan.store.clusters import ClusterStore
from kapstan.store.configs import ConfigStore
from kapstan.store.crypto import key_configured
from kapstan.store.database import Database, create, resolve_url
from kapstan.store.deletions import DeletionStore
from kapstan.store.drift import DriftStore
from kapstan.store.environments import EnvironmentStore
from kapstan.store.hookclaims import HookClaimStore
from kapstan.store.locks import LockStore
from kapstan.store.logins import LoginFailureStore
from kapstan.store.migrate import upgrade
from kapstan.store.operations import OperationStore
from kapstan.store.passwords import Passwords
from kapstan.store.revisions import RevisionStore
from kapstan.store.roles import RoleStore
from kapstan.store.rollouts import RolloutStore
from kapstan.store.sessions import ConsoleSessionStore
from kapstan.store.shared import SharedReads
from kapstan.store.templates import TemplateStore
from kapstan.store.tokens import TokenStore
from kapstan.store.users import UserStore

if TYPE_CHECKING:
    from argon2 import PasswordHasher  # loaded by the first hash (kapstan.store.passwords)


class Store(
    TemplateStore,
    ConfigStore,
    EnvironmentStore,
    ClusterStore,
    ApplicationStore,
    RevisionStore,
    OperationStore,
    LockStore,
    UserStore,
    TokenStore,
    ConsoleSessionStore,
    LoginFailureStore,
    RoleStore,
    AuditStore,
    ApprovalStore,
    DeletionStore,
    HookClaimStore,
    DriftStore,
    RolloutStore,
):
    """Kapstan's objects (templates to locks) and who may change them (users to approvals)."""

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        clock: Clock = utc_now,
        environ: Mapping[str, str] | None = None,
        password_hasher: PasswordHasher | None = None,
    ) -> Store:
        """Open (and migrate to the newest schema) the store at ``url``.

        ``url`` is a SQLAlchemy URL or a SQLite file path; None means ``$KAPSTAN_DB``, else
        ``<user data dir>/kapstan.db``. ``environ`` (default ``os.environ``) is where the
        secret key is looked up, on first use. ``password_hasher`` defaults to argon2id
        with argon2-cffi's parameters (RFC 9106, low memory); a hash made with other
        parameters is upgraded at the user's next good password.
        """
        env = os.environ if environ is None else environ
        database = Database(create(resolve_url(url, env)))
        try:
            upgrade(database)
        except BaseException:
            database.close()
            raise
        return cls(database, clock, env, Passwords(password_hasher))

    @property
    def url(self) -> str:
        """Where the store lives (password hidden)."""
        return self._db.describe()

    def for_request(self) -> Store:
        """A view of this store for one request: its reads share one transaction
        (``kapstan.store.shared``) until ``close``; its writes are the store's.

        Closing the view ends that transaction only; the store stays open.
        """
        if key_configured(self._environ):
            self._box()  # read the key once, here, not once per view
        # copy.copy without its generic machinery (__reduce_ex__): one view per request
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view._shared = SharedReads(self._db)
        return view

    def end_reads(self) -> None:
        """On a request's view: end its read transaction now; a later read begins another."""
        if self._shared is not None:
            self._shared.end_transaction()

    @property
    def holds_reads(self) -> bool:
        """This request's view has a read transaction open, which ``close`` ends (a call to
        the database; closing a view that holds none is not)."""
        return self._shared is not None and self._shared.reading

    def close(self) -> None:
        if self._shared is not None:  # a request's view: the store itself stays open
            self._shared.close()
            return
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
