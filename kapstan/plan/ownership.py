"""Who owns a live object: this application, another Kapstan application, or someone else.

Kapstan never takes over what it does not own (as kapp refuses to). The answer is read
from the live object only:

- Kapstan's labels (``app.kubernetes.io/managed-by: kapstan`` + ``kapstan.io/app``) name
  the application; the ``kapstan.io/environment`` annotation (stamped at apply) names its
  environment. Another application's object is never taken over, not even with --adopt.
- Without Kapstan's labels the object is foreign: its owner is a Helm release (Helm's
  annotations or label), else the field managers that wrote it (``kubectl``,
  ``kubectl-client-side-apply``...), else "someone else". Foreign objects are taken over
  only when the user asks to adopt them.

Labels of this application are trusted even when the uid is not the one the last revision
recorded: a deploy killed after its apply leaves objects that no revision recorded, and
Kapstan's own apply always leaves its field manager on the object. So an object with this
application's labels, another uid than recorded AND no "kapstan" field manager was
recreated by someone else from a copy of Kapstan's manifest: it is foreign.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.model.rendered import KubeObject
from kapstan.render import labels

KAPSTAN_MANAGER = "kapstan"
HELM_RELEASE_ANNOTATION = "meta.helm.sh/release-name"
HELM_NAMESPACE_ANNOTATION = "meta.helm.sh/release-namespace"


@dataclass(frozen=True)
class Claimant:
    """The application (and its environment) that wants to apply an object."""

    app: str
    environment: str = ""


@dataclass(frozen=True)
class Owned:
    """Ours: apply it."""


@dataclass(frozen=True)
class OwnedByOtherApp:
    """Another Kapstan application's object: never taken over."""

    app: str
    environment: str = ""  # empty: applied before Kapstan recorded environments

    @property
    def owner(self) -> str:
        where = f" (environment {self.environment})" if self.environment else ""
        return f"application {self.app}{where}"


@dataclass(frozen=True)
class Foreign:
    """Created by someone else (``who``): taken over only with --adopt."""

    who: str


Ownership = Owned | OwnedByOtherApp | Foreign


@dataclass(frozen=True)
class Conflict:
    """A live object this apply would take over, and from whom."""

    resource: str  # "Deployment shop/api"
    owner: str  # "application shop-b (environment dev)" or "kubectl-client-side-apply"
    adoptable: bool  # foreign objects only

    @property
    def message(self) -> str:
        if not self.adoptable:
            return (
                f"{self.resource} is owned by {self.owner}: Kapstan never takes over another "
                "application's objects; rename the object or delete that application"
            )
        return (
            f"{self.resource} was created by {self.owner}, not Kapstan: "
            "pass --adopt to take it over (audited)"
        )


def describe(obj: KubeObject) -> str:
    """``Deployment shop/api`` (``ClusterRole reader`` when cluster-scoped)."""
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {where}{meta.get('name')}"


def managers(live: KubeObject) -> list[str]:
    """Field managers that wrote the object itself, in order; subresource writers (the
    controllers updating ``status`` or ``scale``) did not create it, so they are left out."""
    found: list[str] = []
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        name = str(entry.get("manager") or "")
        if name and not entry.get("subresource") and name not in found:
            found.append(name)
    return found


def classify(live: KubeObject, claimant: Claimant, recorded_uid: str = "") -> Ownership:
    """Who owns ``live`` as seen by ``claimant``; ``recorded_uid``: the last revision's."""
    meta: Mapping[str, Any] = live.get("metadata") or {}
    found: Mapping[str, Any] = meta.get("labels") or {}
    notes: Mapping[str, Any] = meta.get("annotations") or {}
    app = str(found.get(labels.APP_LABEL) or "")
    if found.get(labels.MANAGED_BY) == "kapstan" and app:
        environment = str(notes.get(labels.ENVIRONMENT_ANNOTATION) or "")
        elsewhere = bool(environment and claimant.environment) and (
            environment != claimant.environment
        )
        if app != claimant.app or elsewhere:
            # Same name in another environment: another Kapstan store's application.
            return OwnedByOtherApp(app, environment)
        recreated = bool(recorded_uid) and str(meta.get("uid") or "") != recorded_uid
        if recreated and KAPSTAN_MANAGER not in managers(live):
            return Foreign(_foreign_owner(live, meta, found, notes))
        return Owned()
    return Foreign(_foreign_owner(live, meta, found, notes))


def _foreign_owner(
    live: KubeObject, meta: Mapping[str, Any], found: Mapping[str, Any], notes: Mapping[str, Any]
) -> str:
    release = notes.get(HELM_RELEASE_ANNOTATION)
    if release:
        return f"Helm release {release}"
    if str(found.get(labels.MANAGED_BY) or "").lower() == "helm":
        return "Helm"
    writers = [m for m in managers(live) if m != KAPSTAN_MANAGER]
    if writers:
        return ", ".join(writers)
    tool = found.get(labels.MANAGED_BY)
    if tool and tool != "kapstan":
        return str(tool)
    return "someone else"


def conflict_of(
    live: KubeObject | None, claimant: Claimant, recorded_uid: str = ""
) -> Conflict | None:
    """The conflict applying over ``live`` would be, None when it is ours (or absent)."""
    if live is None:
        return None
    found = classify(live, claimant, recorded_uid)
    if isinstance(found, OwnedByOtherApp):
        return Conflict(describe(live), found.owner, adoptable=False)
    if isinstance(found, Foreign):
        return Conflict(describe(live), found.who, adoptable=True)
    return None


def refusal(conflicts: list[Conflict], *, adopt: bool) -> str:
    """The message refusing a deploy over ``conflicts`` (empty when it may go on)."""
    refused = [c for c in conflicts if not (adopt and c.adoptable)]
    if not refused:
        return ""
    lines = [c.message for c in refused]
    head = f"not deploying: {len(refused)} object(s) belong to someone else; nothing was applied"
    return "\n".join([head, *(f"  {line}" for line in lines)])
