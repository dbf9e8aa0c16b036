"""What a rollback goes back to: per service a revision, all of them as one version.

One service goes to ``to`` or to its previous deployed revision; the whole app takes each
service that has one back to its previous deployed revision. Services last deployed at
different template/config versions are rendered each at its own pair and deployed
together, as one operation (``rendering.render_services_at``).
"""

from __future__ import annotations

from dataclasses import dataclass

from kapstan.actions.cancelling import CANCELLED_REVISION
from kapstan.actions.removals import REMOVED
from kapstan.actions.rendering import RenderedAppVersion, render_application, render_services_at
from kapstan.actions.storeports import AppState, RevisionReads
from kapstan.errors import InputError, NotFoundError
from kapstan.store import Revision
from kapstan.store.revisions import INTERRUPTED, PENDING

# Revisions cut short (killed, cancelled) were never seen ready: never a rollback target.
UNFINISHED = frozenset({PENDING, INTERRUPTED, CANCELLED_REVISION})


@dataclass(frozen=True)
class RollbackChoice:
    """The services to roll back, the version that renders them, and the operation's message."""

    version: RenderedAppVersion
    services: list[str]
    revisions: dict[str, Revision]

    @property
    def message(self) -> str:
        return "rollback to " + ", ".join(f"{s}@{r.number}" for s, r in self.revisions.items())


def choose(store: AppState, app: str, *, service: str | None, to: int | None) -> RollbackChoice:
    if to is not None and service is None:
        raise InputError("--to needs --service: revision numbers are per service")
    if service is not None:
        targets = {service: rollback_target(store, app, service, to)}
    else:
        # The whole app: every service that has something to go back to; the others stay.
        targets = {}
        for s in render_application(store, app).rendered.services:
            try:
                targets[s] = rollback_target(store, app, s, None)
            except NotFoundError:
                continue
        if not targets:
            raise NotFoundError(
                f"no service of {app!r} has an earlier deployed revision to roll back to; "
                f"see `kapstan app history {app}`"
            )
    pairs = {s: (r.template_version, r.config_version) for s, r in targets.items()}
    version = render_services_at(store, app, pairs)
    return RollbackChoice(version, list(version.rendered.services), targets)


def rollback_target(store: RevisionReads, app: str, service: str, to: int | None) -> Revision:
    if to is not None:
        chosen = store.get_revision(app, service, to)
        if chosen.status == REMOVED:
            raise InputError(
                f"revision {to} of {app}/{service} records its removal: it has nothing to "
                f"re-apply; pick another with --to (see `kapstan app history {app} -s {service}`)"
            )
        if chosen.status in UNFINISHED:
            raise InputError(
                f"revision {to} of {app}/{service} was never completed ({chosen.status}): it "
                f"is no rollback target; pick a deployed one with --to "
                f"(see `kapstan app history {app} -s {service}`)"
            )
        return chosen
    history = store.list_revisions(app, service)
    if history and history[-1].status == REMOVED:
        raise NotFoundError(
            f"{app}/{service}: its last revision ({history[-1].number}) removed it, so nothing "
            f"is live to roll back; deploy it, or name a revision with --to "
            f"(see `kapstan app history {app} -s {service}`)"
        )
    deployed = [r for r in history if r.status == "deployed"]
    if history and history[-1].status != "deployed" and deployed:
        return deployed[-1]  # the last attempt failed: go back to what last worked
    if len(deployed) < 2:
        raise NotFoundError(
            f"{app}/{service} has no earlier deployed revision to roll back to "
            f"({len(deployed)} deployed so far); see `kapstan app history {app} -s {service}`"
        )
    return deployed[-2]
