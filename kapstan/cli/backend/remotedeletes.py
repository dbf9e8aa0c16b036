"""Deletes on a Kapstan server: it deletes, audits and records; this client follows its
operations and decodes its answers back into the local side's records.

Apart from ``kapstan.cli.backend.deletes`` so that the local commands load neither the API's
schemas nor the HTTP client.
"""

from __future__ import annotations

from kapstan import schemas as s
from kapstan.actions.deleting import AppRemoval, ServiceRemoval
from kapstan.cli.backend.remotedeploys import RemoteDeploys
from kapstan.cli.backend.started import RECENT, Approval, Pending
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.engine.removal import Removal
from kapstan.model.operation import Listener, Operation
from kapstan.store import Revision


class RemoteDeletes:
    """The server deletes, audits and records; the client follows its operations."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def survey(self, app: str, *, keep_volumes: bool) -> AppRemoval:
        data = self.client.get(
            path("applications", app, "deletion"), deleteVolumes=not keep_volumes
        )
        return app_removal(decode.parse(s.DeletionPlanOut, data))

    def app(
        self, app: str, *, keep_volumes: bool, timeout: float, author: str
    ) -> Pending | Approval:
        # The server records its caller as the author.
        answer = decode.parse(
            s.Accepted,
            self.client.request(
                "DELETE",
                path("applications", app),
                params={"deleteVolumes": not keep_volumes, "timeout": timeout},
            ),
        )
        if answer.approval_id is not None and answer.operation_id is None:
            environment = decode.application(self.client.get(path("applications", app)))
            return Approval(answer.approval_id, app, environment.environment, answer.message)
        operation_id = answer.operation_id
        assert operation_id is not None
        follow = RemoteDeploys(self.client).follow
        return Pending(app, lambda listener: follow(app, operation_id, listener))

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
        data = self.client.request(
            "DELETE",
            path("environments", name),
            params={"cascade": cascade, "deleteVolumes": not keep_volumes, "timeout": timeout},
        )
        done = decode.parse(s.EnvironmentDeletedOut, data)
        ops = [
            decode.operation(self.client.get(path("applications", app, "operations", i)))
            for app, i in zip(done.applications, done.operations, strict=True)
        ]
        return done.namespace, ops

    def template(self, name: str, version: int | None, *, author: str) -> list[int]:
        where = (
            path("templates", name)
            if version is None
            else path("templates", name, "versions", version)
        )
        return decode.parse(s.TemplateDeletedOut, self.client.request("DELETE", where)).versions

    def config(self, name: str, *, author: str) -> None:
        self.client.request("DELETE", path("configs", name))

    def operations(self, app: str) -> list[Operation]:
        page = self.client.get(path("applications", app, "operations"), limit=RECENT, deleted=True)
        return [decode.operation(x) for x in page["items"]]

    def history(self, app: str, service: str | None) -> list[Revision]:
        found = self.client.pages(
            path("applications", app, "history"), service=service, deleted=True
        )
        return [decode.revision(r, app) for r in found]

    def operation(self, app: str, operation_id: int | None) -> Operation:
        if operation_id is None:
            operation_id = self.operations(app)[0].id
        return decode.operation(
            self.client.get(path("applications", app, "operations", operation_id))
        )


def app_removal(plan: s.DeletionPlanOut) -> AppRemoval:
    services = tuple(
        ServiceRemoval(
            x.service,
            tuple(
                Removal(
                    {
                        "apiVersion": o.api_version,
                        "kind": o.kind,
                        "namespace": o.namespace,
                        "name": o.name,
                    },
                    o.delete,
                    o.why,
                )
                for o in x.objects
            ),
        )
        for x in plan.services
    )
    return AppRemoval(plan.app, plan.environment, plan.namespace, services, not plan.delete_volumes)
