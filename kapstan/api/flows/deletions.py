"""Starting an application delete from the API or the console: the approval gate, the runner.

In an environment that ``requires_approval`` a delete, like a deploy, becomes an approval
request; once a second user approves it, ``launch_delete`` runs it (once), as the requester.
The action audits the delete itself (``deleting.delete_app``).
"""

from __future__ import annotations

from kapstan.actions.deleting import DEFAULT_TIMEOUT, delete_app
from kapstan.api.flows import deploys
from kapstan.api.runner import Launch, OperationRunner
from kapstan.store import Approval, Store

KIND = "delete"


def request_delete(
    store: Store, runner: OperationRunner, *, app: str, author: str, keep_volumes: bool,
    timeout: float, via: str,
) -> deploys.Started:  # fmt: skip
    """Delete now, or ask for approval if the app's environment requires it."""
    environment = store.get_application(app).environment
    if deploys.requires_approval(store, environment):
        payload = {"deleteVolumes": not keep_volumes, "timeout": timeout, "trigger": via}
        return deploys.ask_approval(store, kind=KIND, app=app, environment=environment,
                                    requester=author, payload=payload)  # fmt: skip
    return deploys.Started(launch=launch_delete(store, runner, app=app, author=author,
                                                keep_volumes=keep_volumes, timeout=timeout,
                                                via=via))  # fmt: skip


def launch_delete(
    store: Store, runner: OperationRunner, *, app: str, author: str, keep_volumes: bool,
    timeout: float, via: str,
) -> Launch:  # fmt: skip
    return runner.launch(
        KIND,
        lambda on_start: delete_app(
            store, app, author=author, keep_volumes=keep_volumes, timeout=timeout,
            on_start=on_start, lease=runner.lease, via=via,
        ),
    )  # fmt: skip


def approved_delete(store: Store, runner: OperationRunner, approval: Approval) -> Launch:
    payload = dict(approval.payload)
    return launch_delete(
        store, runner, app=approval.application, author=approval.requested_by,
        keep_volumes=not bool(payload.get("deleteVolumes", False)),
        timeout=float(payload.get("timeout", DEFAULT_TIMEOUT)), via="approval",
    )  # fmt: skip
