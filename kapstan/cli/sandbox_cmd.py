"""``kapstan sandbox``: a real control plane on loopback for tests and trying Kapstan."""

from __future__ import annotations

import typer

from kapstan import sandbox
from kapstan.cli.output import Format, console, print_rows

app = typer.Typer(
    help="Run a real Kubernetes control plane (kwok nodes) on 127.0.0.1.", no_args_is_help=True
)

NameOpt = typer.Option(
    sandbox.DEFAULT_NAME, "--name", help="Sandbox name; several can run side by side."
)
OutputOpt = typer.Option(Format.table, "-o", "--output", help="Output format.")


def _progress(message: str) -> None:
    console(stderr=True).print(message, markup=False)


@app.command()
def build() -> None:
    """Build the pinned upstream binaries into the cache (once; later runs reuse them)."""
    bins = sandbox.ensure_binaries(_progress)
    for path in bins.all():
        print(path)


@app.command()
def up(
    nodes: int = typer.Option(3, "--nodes", help="Number of fake (kwok) nodes."),
    name: str = NameOpt,
    metrics: bool = typer.Option(
        False,
        "--metrics",
        help="Also run metrics-server (metrics.k8s.io: `kubectl top`, HPAs on CPU/memory).",
    ),
    custom_metrics: bool = typer.Option(
        False,
        "--custom-metrics",
        help="Also run Prometheus and prometheus-adapter (custom.metrics.k8s.io: HPAs on "
        "the simulated per-pod network_receive_bytes_per_second).",
    ),
) -> None:
    """Start a sandbox and wait until its nodes are Ready; prints the kubeconfig path."""
    state = sandbox.up(
        name, nodes=nodes, progress=_progress, metrics=metrics, custom_metrics=custom_metrics
    )
    print(state.kubeconfig)


@app.command()
def down(name: str = NameOpt) -> None:
    """Stop the processes the sandbox started (by pid) and remove its state."""
    if sandbox.down(name):
        _progress(f"sandbox {name!r} stopped and removed")
    else:
        _progress(f"no sandbox named {name!r}")


@app.command()
def status(output: Format = OutputOpt) -> None:
    """Every sandbox, its apiserver and the state of each component."""
    rows = []
    records = []
    for state in sandbox.list_sandboxes():
        comps = sandbox.status(state)
        running = sum(c.running for c in comps)
        rss = sum(c.rss_bytes for c in comps) // (1024 * 1024)
        health = (
            "running" if running == len(comps) else f"degraded ({running}/{len(comps)} running)"
        )
        rows.append(
            (state.name, state.server, state.nodes, health, f"{rss} MiB", str(state.kubeconfig))
        )
        records.append(
            {
                "name": state.name,
                "server": state.server,
                "nodes": state.nodes,
                "status": health,
                "kubeconfig": str(state.kubeconfig),
                "components": [
                    {
                        "component": c.component,
                        "pid": c.pid,
                        "running": c.running,
                        "rssBytes": c.rss_bytes,
                    }
                    for c in comps
                ],
            }
        )
    print_rows(("name", "server", "nodes", "status", "memory", "kubeconfig"), rows, output, records)


@app.command()
def kubeconfig(name: str = NameOpt) -> None:
    """Print the path of the sandbox's kubeconfig."""
    state = sandbox.load(name)
    if state is None:
        raise sandbox_missing(name)
    print(state.kubeconfig)


def sandbox_missing(name: str) -> Exception:
    from kapstan.errors import NotFoundError

    return NotFoundError(
        f"no sandbox named {name!r} is running; start one with `kapstan sandbox up --name {name}`"
    )
