"""Ingress: healthy once accepted by the API server.

An address appears only where an ingress controller runs, which a cluster may lack (the
sandbox has none), so the address is reported, never waited for.
"""

from __future__ import annotations

from kapstan.health.objects import KubeObject
from kapstan.health.services import load_balancer_addresses
from kapstan.model.health import Health


def ingress_health(obj: KubeObject) -> Health:
    addresses = load_balancer_addresses(obj)
    if addresses:
        return Health.healthy(f"address {', '.join(addresses)}")
    return Health.healthy("no address yet (is an ingress controller running?)")
