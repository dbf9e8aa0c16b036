"""Service: healthy once it exists, except a LoadBalancer, which waits for an address
unless ``HealthOptions.wait_for_load_balancer`` is off (clusters with no LB controller).
"""

from __future__ import annotations

from kapstan.health.objects import KubeObject, items, text
from kapstan.model.health import DEFAULT_OPTIONS, Health, HealthOptions


def service_health(obj: KubeObject, options: HealthOptions = DEFAULT_OPTIONS) -> Health:
    kind = text(obj, "spec", "type") or "ClusterIP"
    if kind == "ExternalName":
        return Health.healthy(f"external name {text(obj, 'spec', 'externalName')}")
    if kind != "LoadBalancer":
        headless = text(obj, "spec", "clusterIP") == "None"
        return Health.healthy("headless service" if headless else f"{kind} service")
    addresses = load_balancer_addresses(obj)
    if addresses:
        return Health.healthy(f"load balancer at {', '.join(addresses)}")
    if options.wait_for_load_balancer:
        return Health.progressing("waiting for a load balancer address")
    return Health.healthy("no load balancer address yet (not waited for)")


def load_balancer_addresses(obj: KubeObject) -> list[str]:
    """The IPs or host names in ``status.loadBalancer.ingress`` (Services and Ingresses)."""
    entries = items(obj, "status", "loadBalancer", "ingress")
    return [
        text(e, "ip") or text(e, "hostname")
        for e in entries
        if text(e, "ip") or text(e, "hostname")
    ]
