"""Named compose volumes as PersistentVolumeClaims, held by the first service that mounts them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kapstan.importers.names import dns_label, key_part

if TYPE_CHECKING:
    from kapstan.importers.composeservice import ServiceTranslator

DEFAULT_SIZE = "1Gi"


def claim_for(t: ServiceTranslator, volume: str, path: tuple[str | int, ...]) -> str | None:
    """The claim name to mount for compose volume ``volume``; creates the PVC in its owner."""
    ctx = t.ctx
    claim = dns_label(volume, "data")
    declared = ctx.volumes.get(volume, None) if volume in ctx.volumes else None
    if volume not in ctx.volumes:
        t.add(
            path,
            f"volume {volume} is not declared under the top-level volumes: treated as a named volume",
        )
    options: dict[str, Any] = declared if isinstance(declared, dict) else {}
    if options.get("external"):
        t.add(
            path, f"external volume {volume}: no PVC is made; create PVC {claim} before deploying"
        )
        return claim
    owner = ctx.volume_owner.setdefault(volume, t.name)
    if owner != t.name:
        t.out.depend(owner)
        t.add(
            path,
            f"volume {volume} is shared with service {owner}, which holds PVC {claim}: "
            "sharing needs ReadWriteMany storage in Kubernetes",
        )
        return claim
    if any(c["metadata"]["name"] == claim for c in t.claims):
        return claim
    for option in ("driver", "driver_opts", "labels", "name"):
        if option in options:
            t.report_volume(volume, option)
    key = f"{t.name}.volumes.{key_part(volume)}.size"
    ctx.config[key] = DEFAULT_SIZE
    t.add(
        path,
        f"volume {volume} has no size in compose: PVC {claim} requests config key {key} (default {DEFAULT_SIZE})",
    )
    t.claims.append(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": claim},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": f"${{{key}}}"}},
            },
        }
    )
    return claim
