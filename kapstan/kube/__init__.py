"""The Kubernetes adapter: the only place in Kapstan that imports lightkube.

It translates; it does not decide. Callers pass and get raw Kubernetes JSON (dicts) and
see only Kapstan errors (``kapstan.errors.ClusterError`` and its subclasses).

    client       connect(), KubeClient: get/apply/delete/list/watch, events, logs, inventory
    connection   the plumbing: lightkube + raw HTTP clients, translation, retries
    config       kubeconfig files and contexts
    resources    Kind (group, version, plural, scope), resource_key, generic resource classes
    discovery    apiVersion + kind -> Kind: lightkube's models, then API discovery
    objects      apply bodies (server-owned metadata stripped), results as dicts
    watches      bounded watches: one streamed request ended by the server
    logstreams   a container's log as streamed lines (follow), ended by closing the client
    errors       HTTP statuses and transport failures -> Kapstan errors, in one place
    retries      bounded exponential backoff for temporary failures
"""

from kapstan.kube.client import KubeClient, Propagation, connect
from kapstan.kube.resources import Kind, KubeObject, ResourceKey, describe, resource_key
from kapstan.kube.retries import RetryPolicy

__all__ = [
    "Kind",
    "KubeClient",
    "KubeObject",
    "Propagation",
    "ResourceKey",
    "RetryPolicy",
    "connect",
    "describe",
    "resource_key",
]
