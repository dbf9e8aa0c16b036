"""Services an application deployed that its template no longer has: what a deploy removes.

A service is removed when its last revision is not already ``removed`` and the version
being deployed does not render it. Its ``dependsOn`` (for the order of removal) is read
from the template version of that last revision.
"""

from __future__ import annotations

from kapstan.actions.rendering import RenderedAppVersion
from kapstan.actions.storeports import AppState, RevisionReads, TemplateReads
from kapstan.actions.templates import parsed
from kapstan.errors import KapstanError
from kapstan.store import Revision

REMOVED = "removed"  # the status of the revision that records a service's removal


def last_revisions(store: RevisionReads, app: str) -> dict[str, Revision]:
    """Each service's highest-numbered revision, whatever its status."""
    last: dict[str, Revision] = {}
    for revision in store.list_revisions(app):  # by service, then number
        last[revision.service] = revision
    return last


def removed_services(store: AppState, version: RenderedAppVersion) -> dict[str, tuple[str, ...]]:
    """Services to remove when deploying ``version``, each with its last ``dependsOn``."""
    gone = {
        service: revision
        for service, revision in last_revisions(store, version.app).items()
        if service not in version.rendered.services and revision.status != REMOVED
    }
    return {service: _depends_on(store, revision) for service, revision in gone.items()}


def _depends_on(store: TemplateReads, revision: Revision) -> tuple[str, ...]:
    try:
        template = parsed(store.get_template(revision.template, revision.template_version))
    except KapstanError:
        return ()  # a version that no longer parses: remove it without ordering
    spec = template.services.get(revision.service)
    return spec.depends_on if spec else ()
