"""``kapstan cluster``: register a kubeconfig as a cluster, list, show live, remove.

On the local store through the actions, or on a server through ``/api/v1/clusters``; both
print the same data (``kapstan.actions.clusterviews.report_data``). No output shows a
kubeconfig: the store keeps it encrypted and decrypts it only to build a client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from kapstan.cli.backend import open_backend
from kapstan.cli.common import OutputOpt, author, timeout_option
from kapstan.cli.output import Format, print_data, print_rows

KubeconfigOpt = typer.Option(
    ..., "--kubeconfig", help="Kubeconfig file; its content is stored encrypted."
)
app = typer.Typer(help="Clusters: registered Kubernetes APIs, read live.", no_args_is_help=True)


@app.command()
def add(
    ctx: typer.Context,
    name: str,
    kubeconfig: Path = KubeconfigOpt,
    context: str | None = typer.Option(None, "--context", help="Its context (default: current)."),
    output: Format = OutputOpt,
) -> None:
    """Register cluster NAME: the kubeconfig's context, flattened, encrypted at rest."""
    from kapstan.actions import clusters, clusterviews

    with open_backend(ctx) as backend:
        if backend.client is not None:
            from kapstan.client.http import path  # the HTTP client only for a server

            body = {"name": name, "kubeconfig": str(kubeconfig.expanduser().absolute())}
            data = backend.client.post(path("clusters"), body | {"context": context})
        else:
            store = backend.local_store("cluster add")
            found = clusters.add_cluster(
                store, name, kubeconfig=kubeconfig, context=context, author=author(), via="cli"
            )
            data = clusterviews.cluster_data(found, [])
    print_data(data, output, f"cluster {name} registered ({data['server']})")


@app.command("list")
def list_(ctx: typer.Context, output: Format = OutputOpt) -> None:
    """The registered clusters and the environments on each."""
    from kapstan.actions import clusterviews

    with open_backend(ctx) as backend:
        if backend.client is not None:
            from kapstan.client.http import path  # the HTTP client only for a server

            records: list[dict[str, Any]] = list(backend.client.get(path("clusters")))
        else:
            store = backend.local_store("cluster list")
            records = [
                clusterviews.cluster_data(c, store.environments_on_cluster(c.name))
                for c in store.list_clusters()
            ]
    rows = [
        (r["name"], r["server"], r["context"], ", ".join(r["environments"]) or "-") for r in records
    ]
    print_rows(("name", "server", "context", "environments"), rows, output, records)


@app.command()
def show(
    ctx: typer.Context,
    name: str,
    timeout: float = timeout_option("10s", "the cluster's answers"),
    output: Format = OutputOpt,
) -> None:
    """Cluster NAME read live: version, latency, nodes, pods, component health, apps."""
    from kapstan.actions import clusterviews

    with open_backend(ctx) as backend:
        if backend.client is not None:
            from kapstan.client.http import path  # the HTTP client only for a server

            data = backend.client.get(path("clusters", name), timeout=timeout)
        else:
            store = backend.local_store("cluster show")
            report = clusterviews.show_cluster(store, name, timeout=timeout)
            data = clusterviews.report_data(report)
    print_data(data, output, format_report(data))


@app.command()
def remove(ctx: typer.Context, name: str) -> None:
    """Forget cluster NAME (refused while environments use it; the cluster is untouched)."""
    from kapstan.actions import clusters

    with open_backend(ctx) as backend:
        if backend.client is not None:
            from kapstan.client.http import path  # the HTTP client only for a server

            backend.client.delete(path("clusters", name))
        else:
            store = backend.local_store("cluster remove")
            clusters.remove_cluster(store, name, author=author(), via="cli")
    print(f"cluster {name} removed")


def format_report(data: dict[str, Any]) -> str:
    """``cluster show`` for people: a header, then nodes, checks and applications."""
    reach = (
        f"reachable, {data['version']}, {data['latencyMs']} ms"
        if data["reachable"]
        else "UNREACHABLE"
    )
    lines = [f"cluster {data['name']}: {data['server']} ({reach})"]
    lines += [f"  error reading {what}: {why}" for what, why in data["errors"].items()]
    if data["live"] is not None:
        lines.append(f"livez: {'ok' if data['live'] else 'FAILING'}")
    nodes = data["nodes"]
    ready = sum(1 for n in nodes if n["ready"])
    lines.append(f"nodes: {ready}/{len(nodes)} Ready")
    for n in nodes:
        extra = [f"pressure {', '.join(n['pressures'])}"] if n["pressures"] else []
        extra += [f"taints {', '.join(n['taints'])}"] if n["taints"] else []
        alloc = n["allocatable"]
        lines.append(
            f"  {n['name']}: {'Ready' if n['ready'] else 'NotReady'}"
            f" roles={','.join(n['roles']) or '-'} cpu={alloc.get('cpu', '-')}"
            f" memory={alloc.get('memory', '-')} pods={alloc.get('pods', '-')}"
            + "".join(f"; {e}" for e in extra)
        )
    phases = ", ".join(f"{k} {v}" for k, v in data["pods"].items()) or "none"
    lines.append(f"pods: {phases}")
    failing = [c for c in data["components"] if not c["ok"]]
    lines.append(
        f"components: {len(data['components']) - len(failing)}/{len(data['components'])} ok"
        + "".join(f"\n  {c['name']}: {c['message']}" for c in failing)
    )
    down = [a for a in data["apiServices"] if not a["available"]]
    lines.append(
        f"API services: {len(data['apiServices']) - len(down)}/{len(data['apiServices'])} "
        "available" + "".join(f"\n  {a['name']}: {a['message']}" for a in down)
    )
    envs = ", ".join(f"{e['name']} ({e['namespace']})" for e in data["environments"]) or "none"
    lines.append(f"environments: {envs}")
    for a in data["applications"]:
        lines.append(
            f"  app {a['name']} in {a['environment']}: {a['health']} ({a['ready']}/{a['pods']})"
        )
    return "\n".join(lines)
