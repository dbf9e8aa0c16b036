"""Named compose volumes as PersistentVolumeClaims, held by the first service that mounts them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kapstan.importers.assembly import KubeObject
from kapstan.importers.composecontext import ComposeContext, Line
from kapstan.importers.names import dns_label, key_part
from kapstan.model.values import Scalar

DEFAULT_SIZE = "1Gi"


@dataclass(frozen=True)
class Claim:
    """How a service mounts compose volume ``volume``: the claim to mount, and what to record.

    ``owner``: the service to record as the volume's holder (None: external, recorded as
    no one's); ``depends``: the holder this service then waits for; ``pvc``: the claim
    object this service makes (the first mount of the holder), with its size's config key.
    """

    name: str
    owner: str | None = None
    depends: str | None = None
    pvc: KubeObject | None = None
    config: dict[str, Scalar] = field(default_factory=dict)
    lines: tuple[Line, ...] = ()


def claim_for(
    ctx: ComposeContext,
    source: str,
    service: str,
    claims: Sequence[KubeObject],
    volume: str,
    path: tuple[str | int, ...],
) -> Claim:
    """The claim ``service`` (compose ``source``, holding ``claims`` so far) mounts for ``volume``."""
    claim = dns_label(volume, "data")
    declared = ctx.volumes.get(volume, None) if volume in ctx.volumes else None
    lines: list[Line] = []
    if volume not in ctx.volumes:
        why = f"volume {volume} is not declared under the top-level volumes: treated as a named volume"
        lines.append(ctx.note(source, path, why))
    options: dict[str, Any] = declared if isinstance(declared, dict) else {}
    if options.get("external"):
        why = f"external volume {volume}: no PVC is made; create PVC {claim} before deploying"
        lines.append(ctx.note(source, path, why))
        return Claim(claim, lines=tuple(lines))
    owner = ctx.volume_owner.get(volume, service)
    if owner != service:
        why = (
            f"volume {volume} is shared with service {owner}, which holds PVC {claim}: "
            "sharing needs ReadWriteMany storage in Kubernetes"
        )
        lines.append(ctx.note(source, path, why))
        return Claim(claim, owner, depends=owner, lines=tuple(lines))
    if any(c["metadata"]["name"] == claim for c in claims):
        return Claim(claim, owner, lines=tuple(lines))
    for option in ("driver", "driver_opts", "labels", "name"):
        if option in options:
            line = ctx.lines.get(("volumes", volume, option), 0)
            where = f"{ctx.file.name}:{line}: volume {volume!r} {option}"
            lines.append((where, "not translated: the cluster's storage class decides"))
    key = f"{service}.volumes.{key_part(volume)}.size"
    why = f"volume {volume} has no size in compose: PVC {claim} requests config key {key} (default {DEFAULT_SIZE})"
    lines.append(ctx.note(source, path, why))
    pvc: KubeObject = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": claim},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"${{{key}}}"}},
        },
    }
    return Claim(claim, owner, pvc=pvc, config={key: DEFAULT_SIZE}, lines=tuple(lines))
