"""``kapstan cluster``: register a kubeconfig as a cluster, list, show live, remove.

On the local store through the actions, or on a server through ``/api/v1/clusters``; both
print the same data (``kapstan.actions.clusterviews.report_data``). No output shows a
kubeconfig: the store keeps it encrypted and decrypts it only to build a client.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from kapstan.cli.backend import open_backend
from kapstan.cli.common import OutputOpt, author, timeout_option
from kapstan.cli.output import Format, print_data, print_rows

KubeconfigOpt = typer.Option(
    ..., "--kubeconfig", help="Kubeconfig file; its content is stored encrypted."
)
CREATE_WAIT = 300.0  # seconds a server may take to start a cluster (`sandbox up` and its nodes)
NodesArg = typer.Argument(None, help="The nodes to remove (default: the least busy).")
FORCE_HELP = (
    "Evict pods no controller replaces (they are lost), and take over the lock of a removal "
    "that stopped mid-way."
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
            body = {"name": name, "kubeconfig": str(kubeconfig.expanduser().absolute())}
            data = backend.client.post(_path("clusters"), body | {"context": context})
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
            records: list[dict[str, Any]] = list(backend.client.get(_path("clusters")))
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
            data = backend.client.get(_path("clusters", name), timeout=timeout)
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
            backend.client.delete(_path("clusters", name))
        else:
            store = backend.local_store("cluster remove")
            clusters.remove_cluster(store, name, author=author(), via="cli")
    print(f"cluster {name} removed")


def _provider() -> Any:
    """The provider of clusters this CLI creates: local sandboxes, start-up steps on stderr."""
    from kapstan.sandbox.provider import SandboxProvider

    return SandboxProvider(progress=lambda message: print(message, file=sys.stderr))


@app.command()
def create(
    ctx: typer.Context,
    name: str,
    nodes: int = typer.Option(3, "--nodes", help="How many nodes to start with."),
    metrics: bool = typer.Option(False, "--metrics", help="Serve metrics.k8s.io (kubectl top)."),
    output: Format = OutputOpt,
) -> None:
    """Create cluster NAME: a sandbox control plane on this machine, registered as NAME."""
    from kapstan.actions import clusterlife, clusterviews

    with open_backend(ctx) as backend:
        if backend.client is not None:
            body = {"name": name, "nodes": nodes, "metrics": metrics}
            data = backend.client.post(_path("clusters", "create"), body, wait=CREATE_WAIT)
        else:
            store = backend.local_store("cluster create")
            found = clusterlife.create_cluster(
                store, _provider(), name, nodes=nodes, metrics=metrics, author=author(), via="cli"
            )
            data = clusterviews.cluster_data(found, [])
    print_data(data, output, f"cluster {name} created ({data['server']}, {nodes} nodes)")


@app.command()
def delete(ctx: typer.Context, name: str) -> None:
    """Stop cluster NAME (one Kapstan created) and forget it; refused while environments use it."""
    from kapstan.actions import clusterlife

    with open_backend(ctx) as backend:
        if backend.client is not None:
            backend.client.delete(_path("clusters", name, "sandbox"))
        else:
            store = backend.local_store("cluster delete")
            clusterlife.delete_cluster(store, _provider(), name, author=author(), via="cli")
    print(f"cluster {name} deleted")


class _NodesGroup(TyperGroup):
    """``cluster nodes NAME`` is ``cluster nodes list NAME``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["list", *args]
        return super().parse_args(ctx, args)


nodes_app = typer.Typer(
    cls=_NodesGroup,
    help="A cluster's nodes: list (`cluster nodes NAME`), add, remove (cordon and drain first).",
    no_args_is_help=True,
)
app.add_typer(nodes_app, name="nodes")


@nodes_app.command("list")
def nodes_list(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Cluster NAME's nodes: Ready, cordoned, capacity, pods."""
    from kapstan.actions import clusterlife

    with open_backend(ctx) as backend:
        records: list[dict[str, Any]]
        if backend.client is not None:
            records = list(backend.client.get(_path("clusters", name, "nodes")))
        else:
            store = backend.local_store("cluster nodes")
            records = [clusterlife.node_data(n) for n in clusterlife.list_nodes(store, name)]
    _print_nodes(records, output)


@nodes_app.command("add")
def nodes_add(
    ctx: typer.Context,
    name: str,
    count: int = typer.Option(1, "--count", help="How many nodes."),
    cpu: str = typer.Option("4", "--cpu", help="CPU of each node."),
    memory: str = typer.Option("8Gi", "--memory", help="Memory of each node."),
    pods: str = typer.Option("110", "--pods", help="Pods each node may run."),
    timeout: float = timeout_option("2m", "the new nodes to be Ready"),
    output: Format = OutputOpt,
) -> None:
    """Add COUNT nodes to cluster NAME (one Kapstan created) and wait until they are Ready."""
    body = {"count": count, "cpu": cpu, "memory": memory, "pods": pods, "timeout": timeout}
    from kapstan.actions import clusterlife
    from kapstan.actions.providers import NodeShape

    with open_backend(ctx) as backend:
        records: list[dict[str, Any]]
        if backend.client is not None:
            answer = backend.client.post(_path("clusters", name, "nodes"), body, wait=timeout + 30)
            records = list(answer)
        else:
            store = backend.local_store("cluster nodes add")
            added = clusterlife.add_nodes(
                store,
                _provider(),
                name,
                count=count,
                shape=NodeShape(cpu=cpu, memory=memory, pods=pods),
                author=author(),
                via="cli",
                timeout=timeout,
            )
            records = [clusterlife.node_data(n) for n in added]
    _print_nodes(records, output)


@nodes_app.command("remove")
def nodes_remove(
    ctx: typer.Context,
    name: str,
    node: list[str] | None = NodesArg,
    count: int | None = typer.Option(None, "--count", help="Remove the COUNT least busy."),
    timeout: float = timeout_option("2m", "each node's drain"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    delete_emptydir_data: bool = typer.Option(
        False, "--delete-emptydir-data", help="Evict pods with emptyDir volumes (data lost)."
    ),
    output: Format = OutputOpt,
) -> None:
    """Cordon, drain (PodDisruptionBudgets honoured) and delete nodes; says what moved where.

    Each node in turn, within --timeout; a budget that still forbids an eviction then stops
    the command, naming it, with the node left cordoned. DaemonSet and mirror pods stay.
    As `kubectl drain`, nodes running pods no controller replaces (without --force) or pods
    with emptyDir volumes (without --delete-emptydir-data) are refused, naming the pods,
    before anything changes. One removal at a time per cluster: another one in progress
    is named and waited for.
    """
    body = {
        "nodes": list(node or []),
        "count": count,
        "timeout": timeout,
        "force": force,
        "deleteEmptydirData": delete_emptydir_data,
    }
    from kapstan.actions import clusterlife

    with open_backend(ctx) as backend:
        records: list[dict[str, Any]]
        if backend.client is not None:
            # Each node within the timeout, one after the other: the server may take that long.
            wait = timeout * max(len(node or []), count or 1) + 30
            answer = backend.client.post(
                _path("clusters", name, "nodes", "remove"), body, wait=wait
            )
            records = list(answer)
        else:
            store = backend.local_store("cluster nodes remove")
            removed = clusterlife.remove_nodes(
                store,
                _provider(),
                name,
                nodes=list(node or []),
                count=count,
                author=author(),
                via="cli",
                timeout=timeout,
                force=force,
                delete_emptydir_data=delete_emptydir_data,
                progress=lambda message: print(message, file=sys.stderr),
            )
            records = [clusterlife.removal_data(r) for r in removed]
    print_data(records, output, "\n".join(format_removal(r) for r in records))


def _path(*parts: str) -> str:
    from kapstan.client.http import path  # the HTTP client only for a server

    return path(*parts)


def _print_nodes(records: list[dict[str, Any]], output: Format) -> None:
    rows = [
        (
            r["name"],
            "Ready" if r["ready"] else "NotReady",
            "cordoned" if r["cordoned"] else "-",
            f"cpu={r['capacity'].get('cpu', '-')} memory={r['capacity'].get('memory', '-')} "
            f"pods={r['capacity'].get('pods', '-')}",
            str(r["pods"]),
        )
        for r in records
    ]
    print_rows(("name", "ready", "cordoned", "capacity", "pods"), rows, output, records)


def format_removal(data: dict[str, Any]) -> str:
    """One removed node for people: each evicted pod, its owner, where it went."""
    lines = [f"node {data['node']} removed (cordoned, drained, deleted)"]
    for m in data["moved"]:
        owner = m["owner"] or "no controller"
        went = (
            f"replaced by {m['replacement']} on {m['node']}"
            if m["replacement"]
            else ("not replaced" if m["owner"] is None else "replacement not Running yet")
        )
        lines.append(f"  evicted {m['pod']} ({owner}): {went}")
    lines += [f"  left {k['pod']}: {k['reason']}" for k in data["kept"]]
    if not data["moved"]:
        lines.append("  no pod had to move")
    return "\n".join(lines)


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
        extra = ["cordoned"] if n.get("cordoned") else []
        extra += [f"pressure {', '.join(n['pressures'])}"] if n["pressures"] else []
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
