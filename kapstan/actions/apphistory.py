"""An application's revisions: the history per service and diffs between two revisions.

Revisions store redacted YAML, so nothing here can show a secret value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapstan.actions.refs import Ref
from kapstan.actions.storeports import AppState, RevisionReads
from kapstan.actions.templates import load_template
from kapstan.errors import InputError, TemplateError
from kapstan.plan.bookkeeping import without_bookkeeping
from kapstan.plan.diffs import ResourceChange, structured_diff, unified_diff
from kapstan.render.hashing import objects_yaml
from kapstan.render.yamlnodes import load_data
from kapstan.render.yamlsafety import STORED_LIMITS
from kapstan.store import Revision


@dataclass(frozen=True)
class RevisionDiff:
    old: Revision
    new: Revision
    unified: str
    structured: tuple[ResourceChange, ...]


def app_history(store: AppState, app: str, service: str | None = None) -> list[Revision]:
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


def rollback_targets(revisions: list[Revision]) -> dict[tuple[str, int], int]:
    """(service, revision) -> the earlier revision it went back to, for each revision that
    re-applied an earlier one: the same content and versions as that one, after different
    content (a rollback, or an update back to older versions). A forced redeploy of the
    content just before it is no rollback."""
    found: dict[tuple[str, int], int] = {}
    seen: dict[str, list[Revision]] = {}
    for revision in sorted(revisions, key=lambda r: (r.service, r.number)):
        earlier = seen.setdefault(revision.service, [])
        if earlier and earlier[-1].hash != revision.hash:
            same = [r for r in earlier if _same_version(r, revision)]
            if same:
                found[(revision.service, revision.number)] = same[-1].number
        earlier.append(revision)
    return found


def _same_version(a: Revision, b: Revision) -> bool:
    return (a.hash, a.template_version, a.config_version) == (
        b.hash,
        b.template_version,
        b.config_version,
    )


def app_diff(
    store: RevisionReads, app: str, service: str, old: int, new: int, *, managed: bool = False
) -> RevisionDiff:
    """The unified and structured diffs of two revisions of one service.

    Kapstan's own ``kapstan.io/*`` labels and annotations are left out unless ``managed``:
    they change on every deploy and would hide what a person changed.
    """
    before = store.get_revision(app, service, old)
    after = store.get_revision(app, service, new)
    old_objects, new_objects = _objects(before), _objects(after)
    if managed:
        old_text, new_text = before.manifests, after.manifests
    else:
        old_objects = without_bookkeeping(old_objects)
        new_objects = without_bookkeeping(new_objects)
        old_text, new_text = objects_yaml(old_objects), objects_yaml(new_objects)
    unified = unified_diff(old_text, new_text, old_label=_label(before), new_label=_label(after))
    structured = structured_diff(old_objects, new_objects)
    return RevisionDiff(before, after, unified, tuple(structured))


def _label(revision: Revision) -> str:
    return f"{revision.app}/{revision.service}@{revision.number}"


def _objects(revision: Revision) -> list[dict[str, Any]]:
    try:
        docs = load_data(revision.manifests, f"revision {_label(revision)}", STORED_LIMITS)
    except TemplateError as exc:
        raise InputError(f"{exc} (the stored manifests are not readable YAML)") from None
    return [d for d in docs if isinstance(d, dict)]
