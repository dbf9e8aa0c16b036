"""The tenancy boundary of an environment: which objects a deploy there may write. Pure.

Every namespaced object goes into the environment's namespace, or into one its admin
allowed; cluster-scoped objects (ClusterRole, CustomResourceDefinition, Namespace, ...)
are refused unless their kind is allowed ("Kind", any group, or "group/Kind"). Whether a
kind is namespaced is the caller's answer (``Namespaced``): the cluster knows its custom
kinds, this module does not. Every offending object is named, so one refusal says all.

    found = violations(services, boundary, namespaced)
    if found: raise PolicyError(refusal(found, boundary, app))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from kapstan.errors import InputError
from kapstan.model.rendered import KubeObject, RenderedService
from kapstan.render.resources import group_of, is_namespaced

# (apiVersion, kind) -> is the kind namespaced?
Namespaced = Callable[[str, str], bool]

_KIND_ENTRY = re.compile(r"(?:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)/)?([A-Z][A-Za-z0-9]*)")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


@dataclass(frozen=True)
class Boundary:
    """What environment ``environment`` may write: its namespace, those allowed, kinds allowed."""

    environment: str
    namespace: str
    allowed_namespaces: tuple[str, ...] = ()
    allowed_kinds: tuple[str, ...] = ()

    def allows_namespace(self, namespace: str) -> bool:
        return namespace == self.namespace or namespace in self.allowed_namespaces

    def allows_kind(self, group: str, kind: str) -> bool:
        return any(_kind_matches(entry, group, kind) for entry in self.allowed_kinds)


@dataclass(frozen=True)
class Violation:
    """One object outside the boundary: where it comes from, what it is, why it is refused."""

    service: str
    origin: str  # "services/api.yaml:3", "generated ...", or "" when unknown
    group: str
    kind: str
    namespace: str  # "" for a cluster-scoped object
    name: str
    reason: Literal["namespace", "cluster-scoped"]

    @property
    def object(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"

    @property
    def kind_entry(self) -> str:
        """How an admin names this kind in the allow-list."""
        return f"{self.group}/{self.kind}" if self.group else self.kind

    def describe(self, boundary: Boundary) -> str:
        at = f"service {self.service}" + (f" ({self.origin})" if self.origin else "")
        env = boundary.environment
        if self.reason == "namespace":
            return (
                f'{at}: {self.object} is in namespace "{self.namespace}", outside environment '
                f'{env}\'s namespace "{boundary.namespace}"; an environment admin can allow it '
                f"with kapstan env set {env} --allow-namespace {self.namespace}"
            )
        return (
            f"{at}: {self.object} is cluster-scoped, and environment {env} does not allow "
            f"the cluster-scoped kind {self.kind_entry}; an environment admin can allow it "
            f"with kapstan env set {env} --allow-kind {self.kind_entry}"
        )


def static_namespaced(api_version: str, kind: str) -> bool:
    """The answer without a cluster: every kind is namespaced but the well-known global ones."""
    return is_namespaced(kind)


def violations(
    services: Sequence[RenderedService], boundary: Boundary, namespaced: Namespaced
) -> list[Violation]:
    """Every object of ``services`` outside ``boundary``, in service and file order."""
    found: list[Violation] = []
    for service in services:
        origins = service.origins or ("",) * len(service.objects)
        for obj, origin in zip(service.objects, origins, strict=False):
            violation = _check(service.name, origin, obj, boundary, namespaced)
            if violation is not None:
                found.append(violation)
    return found


def _check(
    service: str, origin: str, obj: KubeObject, boundary: Boundary, namespaced: Namespaced
) -> Violation | None:
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    meta = obj.get("metadata") or {}
    name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
    group = group_of(api_version)
    if namespaced(api_version, kind):
        # Rendering gave every namespaced object without one the environment's namespace.
        namespace = namespace or boundary.namespace
        if boundary.allows_namespace(namespace):
            return None
        return Violation(service, origin, group, kind, namespace, name, "namespace")
    if boundary.allows_kind(group, kind):
        return None
    return Violation(service, origin, group, kind, "", name, "cluster-scoped")


def refusal(found: Sequence[Violation], boundary: Boundary, app: str) -> str:
    """The message that refuses a deploy of ``app``: one line per offending object."""
    lines = "\n".join(f"  - {v.describe(boundary)}" for v in found)
    return (
        f"environment {boundary.environment}'s boundary refuses {len(found)} object(s) of "
        f"application {app}; nothing was applied:\n{lines}"
    )


def _kind_matches(entry: str, group: str, kind: str) -> bool:
    if "/" not in entry:
        return entry == kind
    wanted_group, _, wanted_kind = entry.rpartition("/")
    return wanted_kind == kind and (wanted_group == group or (wanted_group == "core" and not group))


def check_kind_entry(entry: str) -> str:
    """``entry`` if it names a kind as "Kind" or "group/Kind", else InputError."""
    if not _KIND_ENTRY.fullmatch(entry):
        raise InputError(
            f'allowed kind {entry!r} is not valid: write the kind as "Kind" (any API group, '
            'e.g. ClusterRole) or "group/Kind" (e.g. rbac.authorization.k8s.io/ClusterRole)'
        )
    return entry


def check_namespace_entry(namespace: str) -> str:
    """``namespace`` if it is a valid namespace name, else InputError."""
    if not _DNS_LABEL.fullmatch(namespace):
        raise InputError(
            f"allowed namespace {namespace!r} is not a valid namespace name (lowercase letters, "
            "digits and '-', at most 63)"
        )
    return namespace


def check_identity(identity: str) -> str:
    """``identity`` if it can be impersonated: a user name, or system:serviceaccount:NS:NAME."""
    if not identity or identity != identity.strip() or any(c.isspace() for c in identity):
        raise InputError(
            f"identity to impersonate {identity!r} is not valid: give a user name or "
            "system:serviceaccount:NAMESPACE:NAME, without spaces"
        )
    if identity.startswith(SERVICE_ACCOUNT_PREFIX):
        parts = identity[len(SERVICE_ACCOUNT_PREFIX) :].split(":")
        if len(parts) != 2 or not all(_DNS_LABEL.fullmatch(p) for p in parts):
            raise InputError(
                f"identity to impersonate {identity!r} is not valid: a service account is "
                "system:serviceaccount:NAMESPACE:NAME"
            )
    return identity
