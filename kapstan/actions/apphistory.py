"""An application's revisions: the history per service and diffs between two revisions.

Revisions store redacted YAML, so nothing here can show a secret value.
"""

from __future__ import annotations

from dataclasses import dataclass

from kapstan.actions.refs import Ref
from kapstan.actions.templates import load_template
from kapstan.errors import InputError, TemplateError
from kapstan.plan.diffs import ResourceChange, structured_diff, unified_diff
from kapstan.render.yamlnodes import load_data
from kapstan.render.yamlsafety import STORED_LIMITS
from kapstan.store import Revision, Store


@dataclass(frozen=True)
class RevisionDiff:
    old: Revision
    new: Revision
    unified: str
    structured: tuple[ResourceChange, ...]


def app_history(store: Store, app: str, service: str | None = None) -> list[Revision]:
    """Revisions of ``app`` (of one service), by service then number."""
    revisions = store.list_revisions(app, service)
    if service is not None and not revisions:
        application = store.get_application(app)
        stored = load_template(store, Ref(application.template, application.template_version))
        if service not in stored.template.services:
            raise InputError(
                f"application {app!r} has no service {service!r}; "
                f"its services are: {', '.join(stored.template.services)}"
            )
    return revisions


def app_diff(store: Store, app: str, service: str, old: int, new: int) -> RevisionDiff:
    """The unified and structured diffs of two revisions of one service."""
    before = store.get_revision(app, service, old)
    after = store.get_revision(app, service, new)
    unified = unified_diff(
        before.manifests,
        after.manifests,
        old_label=_label(before),
        new_label=_label(after),
    )
    structured = structured_diff(_objects(before), _objects(after))
    return RevisionDiff(before, after, unified, tuple(structured))


def _label(revision: Revision) -> str:
    return f"{revision.app}/{revision.service}@{revision.number}"


def _objects(revision: Revision) -> list[dict[str, object]]:
    try:
        docs = load_data(revision.manifests, f"revision {_label(revision)}", STORED_LIMITS)
    except TemplateError as exc:
        raise InputError(f"{exc} (the stored manifests are not readable YAML)") from None
    return [d for d in docs if isinstance(d, dict)]
