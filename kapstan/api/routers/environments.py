"""``/api/v1/environments``: list (with reachability on request), get, create, clone, approval,
boundary (admins only: namespaces and kinds allowed, impersonation, shared)."""

from __future__ import annotations

from fastapi import APIRouter

from kapstan import schemas
from kapstan.actions import environments
from kapstan.actions.environments import reach
from kapstan.actions.kubetargets import environment_target
from kapstan.api import auditing, convert
from kapstan.api.auth import CallerDep
from kapstan.api.pagination import WindowDep, paged
from kapstan.schemas.drift import SelfHealSetting
from kapstan.store import Environment
from kapstan.store.environments import UNCHANGED, Unchanged

router = APIRouter(prefix="/api/v1/environments", tags=["environments"])


def _out(env: Environment, reachability: bool) -> schemas.EnvironmentOut:
    return convert.environment(env, reach(env) if reachability else None)


@router.get("")
def list_environments(
    caller: CallerDep, at: WindowDep, reachability: bool = False
) -> schemas.Page[schemas.EnvironmentOut]:
    """Environments the caller may view; ``reachability`` asks each cluster (slower)."""
    allowed = set(caller.environments_allowing("view"))
    visible = [e for e in caller.store.list_environments() if e.name in allowed]
    return paged(visible, at, lambda e: _out(e, reachability))


@router.get("/{name}")
def get_environment(
    caller: CallerDep, name: str, reachability: bool = False
) -> schemas.EnvironmentOut:
    environment = caller.store.get_environment(name)
    caller.require(name, "view")
    return _out(environment, reachability)


@router.get("/{name}/kubernetes")
def get_kubernetes(caller: CallerDep, name: str) -> schemas.KubernetesOut:
    """The cluster's version and served API versions (asked now), for ``import helm --env``."""
    caller.store.get_environment(name)
    caller.require(name, "view")
    target = environment_target(caller.store, name)
    return schemas.KubernetesOut(
        kube_version=target.kube_version, api_versions=list(target.api_versions)
    )


@router.post("", status_code=201)
def create_environment(
    caller: CallerDep, body: schemas.EnvironmentCreate
) -> schemas.EnvironmentOut:
    caller.require_admin("creating an environment")
    environments.check_boundary_input(body.allowed_namespaces, body.allowed_kinds, body.impersonate)
    created = environments.create_environment(
        caller.store,
        body.name,
        kubeconfig=body.kubeconfig,
        namespace=body.namespace,
        context=body.context,
        config=body.config,
        shared=body.shared,
        cluster=body.cluster,
    )
    if body.requires_approval:
        caller.store.set_environment_approval(body.name, True)
        created = caller.store.get_environment(body.name)
    if body.allowed_namespaces or body.allowed_kinds or body.impersonate:
        created = environments.set_boundary(
            caller.store,
            body.name,
            allowed_namespaces=body.allowed_namespaces,
            allowed_kinds=body.allowed_kinds,
            impersonate=body.impersonate,
        )
    auditing.record(
        caller.store,
        caller.name,
        "environment.create",
        kind="environment",
        name=body.name,
        environment=body.name,
        details={
            "namespace": body.namespace,
            "config": body.config,
            "requiresApproval": body.requires_approval,
            **boundary_details(created),
        },
    )
    return convert.environment(created)


@router.post("/{name}/clone", status_code=201)
def clone_environment(
    caller: CallerDep, name: str, body: schemas.EnvironmentClone
) -> schemas.EnvironmentOut:
    caller.require_admin("cloning an environment")
    created = environments.clone_environment(
        caller.store,
        name,
        body.name,
        author=caller.name,
        namespace=body.namespace,
        kubeconfig=body.kubeconfig,
        context=body.context,
        shared=body.shared,
    )
    auditing.record(
        caller.store,
        caller.name,
        "environment.clone",
        kind="environment",
        name=body.name,
        environment=body.name,
        details={"from": name, "namespace": created.namespace, **boundary_details(created)},
    )
    return convert.environment(created)


@router.put("/{name}/approval")
def set_approval(
    caller: CallerDep, name: str, body: schemas.ApprovalSetting
) -> schemas.EnvironmentOut:
    """Whether deploys and promotions into ``name`` wait for a second user's approval."""
    caller.require_admin("changing an environment's approval rule")
    caller.store.set_environment_approval(name, body.required)
    auditing.record(
        caller.store,
        caller.name,
        "environment.approval",
        kind="environment",
        name=name,
        environment=name,
        details={"requiresApproval": body.required},
    )
    return convert.environment(caller.store.get_environment(name))


@router.put("/{name}/self-heal")
def set_self_heal(caller: CallerDep, name: str, body: SelfHealSetting) -> schemas.EnvironmentOut:
    """Whether the server heals drift in ``name`` by re-applying the drifted services."""
    caller.require_admin("changing an environment's self-heal")
    changed = environments.set_self_heal(
        caller.store, name, body.enabled, author=caller.name, via="api"
    )
    return convert.environment(changed)


@router.put("/{name}/config")
def set_config(caller: CallerDep, name: str, body: schemas.ConfigSetting) -> schemas.EnvironmentOut:
    """The config ``name``'s new applications take (applications there keep theirs)."""
    caller.require_admin("changing an environment's config")
    changed = environments.set_config(
        caller.store, name, body.config, author=caller.name, via="api"
    )
    return convert.environment(changed)


@router.put("/{name}/boundary")
def set_boundary(
    caller: CallerDep, name: str, body: schemas.BoundarySetting
) -> schemas.EnvironmentOut:
    """The tenancy boundary of ``name``: namespaces and cluster-scoped kinds its deploys may
    write, the identity to impersonate, whether it is shared. Fields left out are kept."""
    caller.require_admin("changing an environment's boundary")
    given = body.model_fields_set
    impersonate: str | Unchanged | None = body.impersonate if "impersonate" in given else UNCHANGED
    changed = environments.set_boundary(
        caller.store,
        name,
        allowed_namespaces=body.allowed_namespaces,
        allowed_kinds=body.allowed_kinds,
        impersonate=impersonate,
        shared=body.shared,
    )
    auditing.record(
        caller.store,
        caller.name,
        "environment.boundary",
        kind="environment",
        name=name,
        environment=name,
        details=boundary_details(changed),
    )
    return convert.environment(changed)


def boundary_details(env: Environment) -> dict[str, object]:
    """What the audit log keeps of a boundary (no secret in it: names only)."""
    return {
        "allowedNamespaces": list(env.allowed_namespaces),
        "allowedKinds": list(env.allowed_kinds),
        "impersonate": env.impersonate,
        "shared": env.shared,
    }
