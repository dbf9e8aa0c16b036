"""A 17-service shop in six startup waves, with dependencies that skip waves and calls in
both directions: the graph the routed picture is measured on, as a Graph and as a template."""

from __future__ import annotations

from kapstan.plan.graph import Graph

NAME = "mesh"
DEPENDS = {
    "postgres": (),
    "redis": (),
    "kafka": (),
    "objects": (),
    "ldap": (),
    "auth": ("ldap", "postgres"),
    "catalog": ("postgres", "redis"),
    "inventory": ("postgres", "kafka"),
    "media": ("objects",),
    "orders": ("catalog", "inventory", "kafka", "postgres"),
    "payments": ("auth", "postgres"),
    "search": ("catalog", "redis"),
    "cart": ("orders", "redis", "auth"),
    "notify": ("orders", "kafka", "ldap"),
    "gateway": ("cart", "search", "media", "auth", "payments"),
    "admin": ("orders", "ldap", "objects"),
    "web": ("gateway",),
}
CALLS = {
    "web": ("gateway",),
    "gateway": ("cart", "search"),
    "orders": ("payments",),
    "payments": ("orders",),
    "cart": ("catalog",),
    "notify": ("auth",),
    "search": ("media",),
}
GRAPH = Graph(NAME, tuple(DEPENDS), DEPENDS, {s: CALLS.get(s, ()) for s in DEPENDS})

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: {name}, image: "mesh/{name}:1.0"}}]
"""


def edges() -> list[tuple[str, str, str]]:
    """``(source, target, kind)`` per edge, sorted."""
    relations = [(s, t, "dependsOn") for s, targets in DEPENDS.items() for t in targets]
    return sorted(relations + [(s, t, "calls") for s, targets in CALLS.items() for t in targets])


def _flow(names: tuple[str, ...]) -> str:
    return "[" + ", ".join(names) + "]"


def template_files() -> dict[str, str]:
    """kapstan.yaml and one manifest per service."""
    lines = [f"name: {NAME}", "services:"]
    for service, depends in DEPENDS.items():
        lines += [f"  {service}:", f"    manifests: [{service}.yaml]"]
        if depends:
            lines.append(f"    dependsOn: {_flow(depends)}")
        if CALLS.get(service):
            lines.append(f"    calls: {_flow(CALLS[service])}")
    files = {"kapstan.yaml": "\n".join(lines) + "\n"}
    files.update({f"{s}.yaml": MANIFEST.format(name=s) for s in DEPENDS})
    return files
