"""Deleting applications, environments, templates and configs; on the local store or a server.

An application delete is an operation, ``Pending`` like a deploy: locally ``wait`` runs it
in this process, remotely the server runs it and ``wait`` follows its event stream
(``kapstan.cli.backend.remotedeletes``).
"""

from __future__ import annotations

from typing import Protocol

from kapstan.actions import deletions
from kapstan.actions.deleting import AppRemoval, delete_app, survey_app
from kapstan.actions.journal import Listener
from kapstan.cli.backend.started import RECENT, Approval, Pending
from kapstan.errors import NotFoundError
from kapstan.model.operation import Operation
from kapstan.store import Revision, Store


class DeletesPort(Protocol):
    def survey(self, app: str, *, keep_volumes: bool) -> AppRemoval: ...

    def app(
        self, app: str, *, keep_volumes: bool, timeout: float, author: str
    ) -> Pending | Approval: ...

    def environment(
        self,
        name: str,
        *,
        cascade: bool,
        keep_volumes: bool,
        timeout: float,
        author: str,
        listener: Listener | None,
    ) -> tuple[str, list[Operation]]: ...

    def template(self, name: str, version: int | None, *, author: str) -> list[int]: ...

    def config(self, name: str, *, author: str) -> None: ...

    def operations(self, app: str) -> list[Operation]:
        """The operations of the last deleted application ``app``, newest first."""
        ...

    def history(self, app: str, service: str | None) -> list[Revision]:
        """The revisions of the last deleted application ``app``."""
        ...

    def operation(self, app: str, operation_id: int | None) -> Operation:
        """One operation (default: the last) of the last deleted application ``app``."""
        ...


MANY = 500  # operations of a deleted app searched for one id


class LocalDeletes:
    def __init__(self, store: Store) -> None:
        self.store = store

    def survey(self, app: str, *, keep_volumes: bool) -> AppRemoval:
        return survey_app(self.store, app, keep_volumes=keep_volumes)

    def app(self, app: str, *, keep_volumes: bool, timeout: float, author: str) -> Pending:
        def run(listener: Listener | None) -> Operation:
            return delete_app(
                self.store,
                app,
                author=author,
                keep_volumes=keep_volumes,
                timeout=timeout,
                listener=listener,
            ).operation

        return Pending(app, run)

    def environment(
        self,
        name: str,
        *,
        cascade: bool,
        keep_volumes: bool,
        timeout: float,
        author: str,
        listener: Listener | None,
    ) -> tuple[str, list[Operation]]:
        done = deletions.delete_environment(
            self.store,
            name,
            author=author,
            cascade=cascade,
            keep_volumes=keep_volumes,
            timeout=timeout,
            listener=listener,
        )
        return done.namespace, [r.operation for r in done.apps]

    def template(self, name: str, version: int | None, *, author: str) -> list[int]:
        return deletions.delete_template(self.store, name, version, author=author)

    def config(self, name: str, *, author: str) -> None:
        deletions.delete_config(self.store, name, author=author)

    def operations(self, app: str) -> list[Operation]:
        return self.store.list_operations(app, limit=RECENT, deleted=True)

    def history(self, app: str, service: str | None) -> list[Revision]:
        return self.store.list_revisions(app, service, deleted=True)

    def operation(self, app: str, operation_id: int | None) -> Operation:
        if operation_id is None:
            return self.store.list_operations(app, limit=1, deleted=True)[0]
        ids = {o.id for o in self.store.list_operations(app, limit=MANY, deleted=True)}
        if operation_id not in ids:
            raise NotFoundError(f"operation {operation_id} is not one of the deleted {app!r}")
        return self.store.get_operation(operation_id)
