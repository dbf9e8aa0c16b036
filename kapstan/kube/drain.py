"""Draining a node, the Kubernetes side: cordon it, find its pods, evict them.

    cordon(kube, "kwok-node-2")          spec.unschedulable: true (server-side apply)
    pods_on(kube, "kwok-node-2")         every pod bound to the node
    kept_reason(pod)                     why a drain leaves a pod (DaemonSet, mirror), or None
    unreplaced(pod)                      a pod no controller would replace (a bare pod)
    local_volumes(pod)                   its emptyDir volumes (data an eviction deletes)
    kube.evict(namespace, pod)           the policy/v1 Eviction subresource (KubeClient)
    refusal(status, body)                the apiserver's "not now" (429: a PodDisruptionBudget)
    budget_named(message)                the PodDisruptionBudget a refusal names

Evictions, not deletions: the apiserver checks the pod's PodDisruptionBudget and answers
429 while evicting it would leave fewer healthy pods than the budget asks. Which pods a
drain leaves alone follows ``kubectl drain``: DaemonSet pods (their controller ignores
``unschedulable`` and would put them back) and mirror pods (the kubelet's static pods,
which the apiserver cannot remove). Like it too, a pod no controller would replace and a
pod with emptyDir data are evicted only when the caller says so (``--force``,
``--delete-emptydir-data``); a finished pod (Succeeded, Failed) loses nothing. Deciding what to do about a refusal (retry, give up,
report) is the caller's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kapstan.kube.resources import KubeObject

if TYPE_CHECKING:  # the client imports this module for ``eviction`` and ``refusal``
    from kapstan.kube.client import KubeClient

CORDON_MANAGER = "kapstan-cordon"  # its own field manager: uncordoning is applying without it
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
DISRUPTION_BUDGET_CAUSE = "DisruptionBudget"  # policy/v1 DisruptionBudgetCause
_BUDGET_RE = re.compile(r"disruption budget (\S+?)(?: |$)")


def cordon(kube: KubeClient, node: str) -> None:
    """Mark ``node`` unschedulable: no new pod lands there, those running stay."""
    body = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}}
    kube.apply({**body, "spec": {"unschedulable": True}}, field_manager=CORDON_MANAGER)


def pods_on(kube: KubeClient, node: str) -> list[KubeObject]:
    """Every pod bound to ``node``, in every namespace."""
    return kube.list_kind(kube.kind("v1", "Pod"), None, fields={"spec.nodeName": node})


def controller_of(pod: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, name) of the pod's controller (its ownerReference with ``controller``)."""
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("kind")), str(ref.get("name"))
    return None


def kept_reason(pod: Mapping[str, Any]) -> str | None:
    """Why a drain leaves ``pod`` where it is, or None when it is to be evicted."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    if MIRROR_ANNOTATION in annotations:
        return "mirror pod (the node's kubelet owns it)"
    owner = controller_of(pod)
    if owner is not None and owner[0] == "DaemonSet":
        return f"DaemonSet {owner[1]} (runs on every node)"
    return None


def finished(pod: Mapping[str, Any]) -> bool:
    """Whether the pod's containers have all stopped for good (Succeeded or Failed)."""
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def unreplaced(pod: Mapping[str, Any]) -> bool:
    """Whether evicting ``pod`` loses it: it runs, and no controller would start another
    (``kubectl drain`` refuses such pods without ``--force``)."""
    return controller_of(pod) is None and not finished(pod)


def local_volumes(pod: Mapping[str, Any]) -> list[str]:
    """The names of the running pod's emptyDir volumes: their data goes with the pod
    (``kubectl drain`` refuses such pods without ``--delete-emptydir-data``)."""
    if finished(pod):
        return []
    volumes = (pod.get("spec") or {}).get("volumes") or []
    return [str(v.get("name")) for v in volumes if "emptyDir" in v]


def eviction(namespace: str, pod: str) -> dict[str, Any]:
    """The body POSTed to a pod's ``eviction`` subresource."""
    return {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": pod, "namespace": namespace},
    }


def refusal(status: int, body: Mapping[str, Any]) -> str | None:
    """The apiserver's reason for refusing an eviction *for now*, or None if it did not.

    429 with a ``DisruptionBudget`` cause: the budget forbids it until more pods are healthy
    (or its status is not computed yet). 500 "more than one PodDisruptionBudget": the
    eviction API cannot decide between them; no retry will help, but it is the same kind of
    answer (the pod stays, the budgets are to be fixed).
    """
    message = str(body.get("message") or "")
    causes = (body.get("details") or {}).get("causes") or []
    why = [str(c.get("message")) for c in causes if c.get("reason") == DISRUPTION_BUDGET_CAUSE]
    if status == 429 and why:
        return "; ".join(why)
    if status == 500 and "more than one PodDisruptionBudget" in message:
        return message
    return None


def budget_named(message: str) -> str | None:
    """The PodDisruptionBudget a refusal's message names ("The disruption budget web needs
    2 healthy pods and has 2 currently"), or None."""
    found = _BUDGET_RE.search(message)
    return found.group(1) if found else None
