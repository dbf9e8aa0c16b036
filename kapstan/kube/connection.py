"""``Connection``: the plumbing under ``KubeClient`` — clients, kinds, translation, retries.

It holds a lightkube Client (reads and writes) and the same kubeconfig's raw HTTP client
(``/version``, discovery, watches), and runs every request through ``call``: lightkube and
httpx2 exceptions become Kapstan errors there, and temporary ones are retried.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx2

from kapstan.errors import ClusterError, ClusterNotFoundError
from kapstan.kube import config, errors, objects, retries, watches
from kapstan.kube.discovery import Resolver, discovery_path, kinds_in
from kapstan.kube.resources import Kind, KubeObject, resource_class
from kapstan.kube.retries import RetryPolicy

T = TypeVar("T")
ALL_NAMESPACES = "*"


class Connection:
    """One kubeconfig context's clients; close it, or use it as a context manager."""

    def __init__(
        self, target: config.Target, field_manager: str, timeout: float, retry: RetryPolicy | None
    ) -> None:
        self.target = target
        self.retry = retry or RetryPolicy()
        self._throttle = retries.Throttle()  # a Retry-After holds back all our requests
        self._kube = config.lightkube_client(target, field_manager, timeout)
        try:
            self._http = config.raw_http(target, timeout)
        except BaseException:
            self._kube.close()
            raise
        self._kinds = Resolver(self._discovery)
        self.watching = watches.OpenWatches()  # ended before the connection closes

    def close(self) -> None:
        self.watching.end()
        self._kube.close()
        self._http.close()

    def version(self) -> str:
        """The server's gitVersion, asked once (no retries)."""
        body = self._raw_get("/version", "", retries.ONCE)
        return str(body.get("gitVersion", "unknown"))

    def served_api_versions(self) -> builtins.list[str]:
        """Every served group/version and group/version/Kind, as helm's ``--api-versions``.

        The same set helm builds from discovery when it talks to a cluster, so a chart's
        ``.Capabilities.APIVersions.Has`` answers as it would on this cluster.
        """
        versions = ["v1"]
        groups = self._raw_get("/apis", "list the served API groups").get("groups") or []
        versions += [str(v["groupVersion"]) for g in groups for v in g.get("versions") or [] if v]
        out: builtins.list[str] = []
        for version in versions:
            out.append(version)
            document = self._discovery(discovery_path(version)) or {}
            out += [f"{version}/{kind.kind}" for kind in kinds_in(version, document)]
        return sorted(set(out))

    def reachable(self) -> tuple[bool, str]:
        """(True, server version) or (False, why not)."""
        try:
            return True, self.version()
        except ClusterError as exc:
            return False, exc.message

    def health_check(self, path: str) -> tuple[bool, str]:
        """One of the apiserver's health endpoints (``/livez``, ``/readyz?verbose``), asked
        once: (passed, its text). A failing check answers 500 with the same text, so that
        is a result, not an error; an unreachable server is a ClusterError."""

        def fetch() -> tuple[bool, str]:
            response = self._http.get(path)
            if response.status_code not in (200, 500):
                response.raise_for_status()
            return response.status_code == 200, response.text

        return self.call(f"GET {path}", fetch, retries.ONCE)

    def kind(self, api_version: str, kind: str) -> Kind:
        """The served kind (plural, scope); ClusterUnknownKindError if the cluster has none."""
        return self._kinds.resolve(api_version, kind)

    def call(self, what: str, fn: Callable[[], T], policy: RetryPolicy | None = None) -> T:
        """Run one request: errors translated (naming ``what``), temporary ones retried."""

        def attempt() -> T:
            try:
                return fn()
            except httpx2.HTTPError as exc:
                raise errors.translate(
                    exc, what, self.target.origin, self.target.impersonate
                ) from exc

        return retries.call(attempt, policy or self.retry, self._throttle)

    def namespace_for(self, k: Kind, namespace: str | None) -> str | None:
        """The namespace a request for ``k`` goes to: the context's default if none is given."""
        return (namespace or self.target.namespace) if k.namespaced else None

    def list_kind(
        self,
        k: Kind,
        namespace: str | None,
        *,
        labels: Mapping[str, str] | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> builtins.list[KubeObject]:
        """Objects of ``k`` in ``namespace``, or in all namespaces when it is None."""
        ns = (namespace or ALL_NAMESPACES) if k.namespaced else None
        where = f" in {namespace}" if namespace and k.namespaced else ""
        items = self.call(
            f"list {k.kind}{where}",
            lambda: builtins.list(
                self._kube.list(resource_class(k), namespace=ns, labels=labels, fields=fields)
            ),
        )
        # List items come without apiVersion and kind; callers get whole objects.
        typed = {"apiVersion": k.api_version, "kind": k.kind}
        return [{**typed, **objects.as_dict(item)} for item in items]

    def _raw_get(self, path: str, what: str, policy: RetryPolicy | None = None) -> dict[str, Any]:
        def fetch() -> dict[str, Any]:
            response = self._http.get(path)
            response.raise_for_status()
            return dict(response.json())

        return self.call(what, fetch, policy)

    def _discovery(self, path: str) -> dict[str, Any] | None:
        try:
            return self._raw_get(path, f"discover the kinds served at {path}")
        except ClusterNotFoundError:
            return None
