"""Blue-green: the new colour beside the old, the Service switched only once it is healthy.

    colour the objects -> apply all but the Services -> wait for the new colour's readiness
    -> optional HTTP health check through the apiserver's pod proxy -> switch the Services'
    selectors -> mark the old colour for retirement after ``keepOldSeconds``

A Deployment ``api`` runs as ``api-blue`` or ``api-green``, its pods labelled with their
colour; the Services select one colour. The old colour keeps running for a while so that a
rollback is an instant switch back (re-deploying the old revision lands on the old colour,
already ready), and is scaled to zero once its time is up, at the service's next operation.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime, timedelta

from kapstan.engine.ports import Cluster, Journal
from kapstan.model.rendered import KubeObject
from kapstan.model.settings import BlueGreen

COLOR_LABEL = "kapstan.io/color"
RETIRE_ANNOTATION = "kapstan.io/retire-after"
COLORS = ("blue", "green")
# Partial applies (scale, retire mark) go under their own manager, so the main manager keeps
# owning the rest of the Deployment and its next apply does not drop those fields.
RETIRE_MANAGER = "kapstan-bluegreen"


def other(color: str | None) -> str:
    return "green" if color == "blue" else "blue"


def _services(objects: Sequence[KubeObject]) -> list[KubeObject]:
    return [o for o in objects if o.get("kind") == "Service" and o.get("apiVersion") == "v1"]


def _deployments(objects: Sequence[KubeObject]) -> list[KubeObject]:
    return [o for o in objects if o.get("kind") == "Deployment"]


def live_color(cluster: Cluster, objects: Sequence[KubeObject]) -> str | None:
    """The colour the service's Services select now; None before the first blue-green deploy."""
    for svc in _services(objects):
        meta = svc.get("metadata") or {}
        live = cluster.get("v1", "Service", str(meta["name"]), meta.get("namespace"))
        selector = ((live or {}).get("spec") or {}).get("selector") or {}
        if selector.get(COLOR_LABEL) in COLORS:
            return str(selector[COLOR_LABEL])
    return None


def colored_name(name: str, color: str) -> str:
    return f"{base_name(name)}-{color}"


def base_name(name: str) -> str:
    """``api-green`` -> ``api``; a name without a colour is its own base."""
    head, _, tail = name.rpartition("-")
    return head if head and tail in COLORS else name


def colored(objects: Sequence[KubeObject], color: str) -> list[KubeObject]:
    """Copies of ``objects`` for one colour: Deployments renamed and labelled, Services and
    autoscalers pointed at that colour."""
    names = {str(d["metadata"]["name"]) for d in _deployments(objects)}
    out = []
    for obj in objects:
        obj = copy.deepcopy(obj)
        kind = obj.get("kind")
        spec = obj.setdefault("spec", {})
        if kind == "Deployment":
            obj["metadata"]["name"] = colored_name(str(obj["metadata"]["name"]), color)
            spec.setdefault("selector", {}).setdefault("matchLabels", {})[COLOR_LABEL] = color
            template_meta = spec.setdefault("template", {}).setdefault("metadata", {})
            template_meta.setdefault("labels", {})[COLOR_LABEL] = color
        elif kind == "Service" and obj.get("apiVersion") == "v1" and spec.get("selector"):
            spec["selector"][COLOR_LABEL] = color
        elif kind == "HorizontalPodAutoscaler":
            target = spec.get("scaleTargetRef") or {}
            if target.get("kind") == "Deployment" and target.get("name") in names:
                target["name"] = colored_name(str(target["name"]), color)
        out.append(obj)
    return out


def split(objects: Sequence[KubeObject]) -> tuple[list[KubeObject], list[KubeObject]]:
    """(everything but the switching Services, the Services), for the two apply phases."""
    switching = [o for o in _services(objects) if (o.get("spec") or {}).get("selector")]
    return [o for o in objects if o not in switching], switching


def old_color_entries(
    objects: Sequence[KubeObject], color: str, namespace: str
) -> list[dict[str, str]]:
    """Inventory entries of the previous colour's Deployments: kept, so never pruned."""
    prev = other(color)
    return [
        {
            "apiVersion": str(d["apiVersion"]),
            "kind": "Deployment",
            "namespace": namespace,
            "name": colored_name(str(d["metadata"]["name"]), prev),
            "uid": "",
        }
        for d in _deployments(objects)
    ]


def health_check(
    cluster: Cluster,
    settings: BlueGreen,
    deployments: Sequence[KubeObject],
    journal: Journal,
    service: str,
) -> tuple[bool, str]:
    """HTTP GET the configured path on every pod of the new colour, through the apiserver."""
    if not settings.health_path or not settings.health_port:
        return True, "no HTTP health check configured"
    for dep in deployments:
        meta = dep.get("metadata") or {}
        selector = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        pods = cluster.list("v1", "Pod", meta.get("namespace"), labels=selector)
        if not pods:
            return False, f"no pods of {meta.get('name')} to check"
        for pod in pods:
            name = str(pod["metadata"]["name"])
            ok, what = cluster.probe_pod(
                str(meta.get("namespace")), name, settings.health_port, settings.health_path
            )
            journal.event("health-check", what, service=service, resource=f"Pod {name}")
            if not ok:
                return False, what
    return True, "HTTP health check passed on every pod"


def retire(
    cluster: Cluster,
    objects: Sequence[KubeObject],
    color: str,
    settings: BlueGreen,
    journal: Journal,
    service: str,
    now: datetime,
) -> None:
    """Mark the old colour's Deployments to retire after ``keepOldSeconds`` (at once if 0)."""
    prev = other(color)
    when = now + timedelta(seconds=settings.keep_old_seconds)
    for dep in _deployments(objects):
        meta = dep["metadata"]
        name = colored_name(str(meta["name"]), prev)
        live = cluster.get("apps/v1", "Deployment", name, meta.get("namespace"))
        if live is None or (live.get("spec") or {}).get("replicas") == 0:
            # Gone or already retired: a new mark without replicas would hand the field back
            # to its default (1) under server-side apply, bringing the old colour back up.
            continue
        patch: KubeObject = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": name,
                "namespace": meta.get("namespace"),
                "annotations": {RETIRE_ANNOTATION: when.isoformat()},
            },
        }
        if settings.keep_old_seconds == 0:
            patch["spec"] = {"replicas": 0}
        cluster.apply(patch, force=True, field_manager=RETIRE_MANAGER)
        verb = (
            "scaled to 0"
            if settings.keep_old_seconds == 0
            else f"kept for rollback until {when:%H:%M:%S} UTC"
        )
        journal.event("old-color", f"{prev} {verb}", service=service, resource=f"Deployment {name}")


def scale_down_expired(
    cluster: Cluster,
    objects: Sequence[KubeObject],
    journal: Journal,
    service: str,
    now: datetime,
    spare: Sequence[str | None] = (),
) -> None:
    """Scale to zero the old-colour Deployments whose retirement time has passed, sparing
    ``spare``: the colour serving now and the one this operation brings up (a colour that
    served before may still carry an old retirement mark)."""
    for dep in _deployments(objects):
        meta = dep["metadata"]
        base = str(meta["name"])
        for color in COLORS:
            if color in spare:
                continue
            name = colored_name(base, color)
            live = cluster.get("apps/v1", "Deployment", name, meta.get("namespace"))
            notes = ((live or {}).get("metadata") or {}).get("annotations") or {}
            due = notes.get(RETIRE_ANNOTATION)
            if not due or (live or {}).get("spec", {}).get("replicas") == 0:
                continue
            if datetime.fromisoformat(due) <= now:
                cluster.apply(
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "metadata": {"name": name, "namespace": meta.get("namespace")},
                        "spec": {"replicas": 0},
                    },
                    force=True,
                    field_manager=RETIRE_MANAGER,
                )
                journal.event(
                    "old-color",
                    "retired: scaled to 0",
                    service=service,
                    resource=f"Deployment {name}",
                )
