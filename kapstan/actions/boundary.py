"""An environment's tenancy boundary, enforced before a plan or deploy touches the cluster.

The decision is the pure ``kapstan.plan.tenancy``; this module feeds it the scope of each
kind (lightkube's built-in models first, then the cluster's discovery, so custom kinds
are judged by what the cluster serves) and prepares the environment's namespace: read,
never patched; created only when missing and the environment may create it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

from kapstan.actions.clusters import connect_environment
from kapstan.actions.rendering import RenderedAppVersion
from kapstan.actions.storeports import EnvironmentWrites
from kapstan.errors import ClusterError, ClusterNotFoundError, PolicyError
from kapstan.kube import KubeClient
from kapstan.kube.resources import builtin_kind
from kapstan.plan import tenancy
from kapstan.store import Environment


def boundary_of(env: Environment) -> tenancy.Boundary:
    return tenancy.Boundary(env.name, env.namespace, env.allowed_namespaces, env.allowed_kinds)


class _Scopes:
    """(apiVersion, kind) -> namespaced?, asking the cluster only for kinds it must."""

    def __init__(self, env: Environment, stack: ExitStack) -> None:
        self._env = env
        self._stack = stack
        self._cluster: KubeClient | None = None
        self._unreachable = False

    def __call__(self, api_version: str, kind: str) -> bool:
        known = builtin_kind(api_version, kind)
        if known is not None:
            return known.namespaced
        try:
            if self._unreachable:  # asked once: no waiting again for every custom kind
                raise ClusterError("unreachable")
            return self._connected().kind(api_version, kind).namespaced
        except ClusterError:
            # Not served (yet), or no cluster to ask: its apply will fail and say why (in an
            # operation, as any unreachable cluster does); judge it by the well-known list.
            return tenancy.static_namespaced(api_version, kind)

    def _connected(self) -> KubeClient:
        if self._cluster is None:
            env = self._env
            self._unreachable = True
            self._cluster = self._stack.enter_context(connect_environment(env))
            self._unreachable = False
        return self._cluster


@contextmanager
def _scopes(env: Environment) -> Iterator[_Scopes]:
    with ExitStack() as stack:
        yield _Scopes(env, stack)


def check_boundary(version: RenderedAppVersion, env: Environment, selected: Sequence[str]) -> None:
    """PolicyError naming every object of ``selected`` outside ``env``'s boundary."""
    services = [version.rendered.services[s] for s in selected if s in version.rendered.services]
    boundary = boundary_of(env)
    with _scopes(env) as namespaced:
        found = tenancy.violations(services, boundary, namespaced)
    if found:
        raise PolicyError(tenancy.refusal(found, boundary, version.app))


def prepare_namespace(store: EnvironmentWrites, env: Environment, cluster: KubeClient) -> None:
    """The environment's namespace exists when this returns, or it says who must create it.

    An existing namespace is left as it is. A missing one is created unless the environment
    is shared (a namespace several environments use is a cluster admin's to create); one
    Kapstan created is recorded, so deleting the environment knows it may remove it.
    """
    if cluster.namespace_exists(env.namespace) is not False:
        return
    if env.shared:
        raise ClusterNotFoundError(
            f"Namespace {env.namespace} does not exist, and environment {env.name} is shared, "
            "so Kapstan does not create it: ask a cluster admin to create it, then deploy again"
        )
    try:
        created = cluster.create_namespace(env.namespace)
    except ClusterError as exc:
        raise type(exc)(
            f"Namespace {env.namespace} of environment {env.name} does not exist and could not "
            f"be created: {exc.message}"
        ) from exc
    if created:
        store.mark_namespace_created(env.name)
