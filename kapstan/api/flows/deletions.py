"""Starting an application delete from the API or the console: the approval gate, the runner.

In an environment that ``requires_approval`` a delete, like a deploy, becomes an approval
request (the action's gate); once a second user approves it, ``approved_delete`` runs it
(once), as the requester. The action audits the delete itself (``deleting.delete_app``).
"""

from __future__ import annotations

from kapstan.actions.deleting import DEFAULT_TIMEOUT, delete_app
from kapstan.actions.gates import ApprovalPending
from kapstan.api.flows import deploys
from kapstan.api.runner import Launch, OperationRunner
from kapstan.store import Approval, Store

KIND = "delete"


def request_delete(
    store: Store,
    runner: OperationRunner,
    *,
    app: str,
    author: str,
    keep_volumes: bool,
    timeout: float,
    via: str,
) -> deploys.Started:
    """Delete now, or (the action's gate) ask for approval if the environment requires it."""
    try:
        return deploys.Started(
            launch=launch_delete(
                store,
                runner,
                app=app,
                author=author,
                keep_volumes=keep_volumes,
                timeout=timeout,
                via=via,
            )
        )
    except ApprovalPending as asked:
        return deploys.Started(approval_id=asked.approval_id)


def launch_delete(
    store: Store,
    runner: OperationRunner,
    *,
    app: str,
    author: str,
    keep_volumes: bool,
    timeout: float,
    via: str,
    approval: int | None = None,
) -> Launch:
    return runner.launch(
        KIND,
        lambda on_start: delete_app(
            store,
            app,
            author=author,
            keep_volumes=keep_volumes,
            timeout=timeout,
            on_start=on_start,
            lease=runner.lease,
            via=via,
            approval=approval,
        ),
    )


def approved_delete(store: Store, runner: OperationRunner, approval: Approval) -> Launch:
    payload = dict(approval.payload)
    return launch_delete(
        store,
        runner,
        app=approval.application,
        author=approval.requested_by,
        keep_volumes=not bool(payload.get("deleteVolumes", False)),
        timeout=float(payload.get("timeout", DEFAULT_TIMEOUT)),
        via="approval",
        approval=approval.id,
    )
