"""``kapstan env quota``: an environment's CPU, memory, pod, object and storage limits, and
its container defaults, rendered as a ResourceQuota and a LimitRange in its namespace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from kapstan.cli.common import OutputOpt, author
from kapstan.cli.output import Format, print_data
from kapstan.errors import InputError

if TYPE_CHECKING:
    from kapstan.actions.quotas import QuotaView

app = typer.Typer(
    help="Quotas: limits on what an environment's namespace may use, applied at once."
)


def _pairs(flag: str, help_text: str) -> Any:
    return typer.Option([], flag, help=help_text + " (repeatable)", show_default=False)


CountOpt = _pairs(
    "--count",
    "RESOURCE=N objects at most: services, secrets, configmaps, persistentvolumeclaims, "
    "services.loadbalancers, count/deployments.apps...",
)
StorageOpt = _pairs("--storage", "CLASS=SIZE of PVC storage in a StorageClass")
ClaimsOpt = _pairs("--claims", "CLASS=N PVCs at most in a StorageClass")
DefaultOpt = _pairs("--default", "RESOURCE=QTY: a container's limit if it sets none")
DefaultRequestOpt = _pairs(
    "--default-request", "RESOURCE=QTY: a container's request if it sets none"
)
MinOpt = _pairs("--min", "RESOURCE=QTY: the least a container may request")
MaxOpt = _pairs("--max", "RESOURCE=QTY: the most a container may be limited to")
UnsetOpt = _pairs("--unset", "Take a key out: requests.cpu, pods, default.cpu...")
CpuOpt = typer.Option(None, "--cpu", help="CPU all pods may request, e.g. 4 or 3500m.")
MemoryOpt = typer.Option(None, "--memory", help="Memory all pods may request, e.g. 8Gi.")
LimitsCpuOpt = typer.Option(None, "--limits-cpu", help="Sum of the pods' CPU limits.")
LimitsMemoryOpt = typer.Option(None, "--limits-memory", help="Sum of the pods' memory limits.")
PodsOpt = typer.Option(None, "--pods", help="Pods at most (those not finished).")
StorageTotalOpt = typer.Option(
    None, "--requests-storage", help="Storage all PVCs may request, in any class."
)


# (flag, quota key): the flags that set one ResourceQuota key each.
SINGLE = (
    ("--cpu", "requests.cpu"),
    ("--memory", "requests.memory"),
    ("--limits-cpu", "limits.cpu"),
    ("--limits-memory", "limits.memory"),
    ("--pods", "pods"),
    ("--requests-storage", "requests.storage"),
)


@app.command("set")
def set_(
    ctx: typer.Context,
    name: str,
    cpu: str | None = CpuOpt,
    memory: str | None = MemoryOpt,
    limits_cpu: str | None = LimitsCpuOpt,
    limits_memory: str | None = LimitsMemoryOpt,
    pods: str | None = PodsOpt,
    requests_storage: str | None = StorageTotalOpt,
    count: list[str] = CountOpt,
    storage: list[str] = StorageOpt,
    claims: list[str] = ClaimsOpt,
    default: list[str] = DefaultOpt,
    default_request: list[str] = DefaultRequestOpt,
    minimum: list[str] = MinOpt,
    maximum: list[str] = MaxOpt,
    unset: list[str] = UnsetOpt,
    output: Format = OutputOpt,
) -> None:
    """Set environment NAME's quota (its admins; audited) and apply it to its namespace now.

    Only the keys given change. Without any, the stored quota is applied again.
    """
    from kapstan.cli.backend import open_backend
    from kapstan.plan import quota as rules

    hard: dict[str, str] = {}
    for (flag, key), value in zip(
        SINGLE, (cpu, memory, limits_cpu, limits_memory, pods, requests_storage), strict=True
    ):
        if value is not None:
            hard[key] = rules.check_value(key, value, flag)
    hard.update(_keyed(count, "--count", "{}"))
    hard.update(_keyed(storage, "--storage", rules.class_key("{}", "requests.storage")))
    hard.update(_keyed(claims, "--claims", rules.class_key("{}", "persistentvolumeclaims")))
    container: dict[tuple[str, str], str] = {}
    for field, flag, pairs in (
        ("default", "--default", default),
        ("defaultRequest", "--default-request", default_request),
        ("min", "--min", minimum),
        ("max", "--max", maximum),
    ):
        for resource, text in _split(pairs, flag):
            where = f"{flag} {resource}"
            container[(field, resource)] = rules.check_container_entry(field, resource, text, where)
    with open_backend(ctx) as backend:
        view = backend.quotas.set(
            name, hard=hard, container=container, unset=tuple(unset), author=author()
        )
    applied = ", ".join(_entry(e) for e in view.applied) or "nothing (the quota is empty)"
    print_data(_record(view), output, f"environment {name}: quota applied: {applied}")


@app.command()
def show(
    ctx: typer.Context,
    name: str,
    live: bool = typer.Option(True, "--live/--no-live", help="Read what is used now."),
    output: Format = OutputOpt,
) -> None:
    """Environment NAME's quota, and what its namespace uses of it now."""
    from kapstan.cli.backend import open_backend

    with open_backend(ctx) as backend:
        view = backend.quotas.show(name, live=live)
    print_data(_record(view), output, "\n".join(_lines(view)))


@app.command()
def clear(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Take environment NAME's quota away: its ResourceQuota and LimitRange are deleted."""
    from kapstan.cli.backend import open_backend

    with open_backend(ctx) as backend:
        removed = backend.quotas.clear(name, author=author())
    text = f"environment {name}: quota cleared; deleted: {', '.join(removed) or 'nothing'}"
    print_data({"environment": name, "removed": removed}, output, text)


def _split(pairs: list[str], flag: str) -> list[tuple[str, str]]:
    found = []
    for pair in pairs:
        left, sep, right = pair.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise InputError(f"{flag}: {pair!r} is not NAME=VALUE (for example {flag} cpu=500m)")
        found.append((left.strip(), right.strip()))
    return found


def _keyed(pairs: list[str], flag: str, key_of: str) -> dict[str, str]:
    """``NAME=VALUE`` flag values as quota keys, each checked naming the flag."""
    from kapstan.plan import quota as rules

    found: dict[str, str] = {}
    for left, right in _split(pairs, flag):
        where = f"{flag} {left}"
        key = rules.check_key(key_of.format(left), where)
        found[key] = rules.check_value(key, right, where)
    return found


def _entry(e: Any) -> str:
    return f"{e['kind']} {e.get('namespace', '')}/{e['name']}"


def _record(view: QuotaView) -> dict[str, Any]:
    quota = view.quota.to_json()
    return {
        "environment": view.environment,
        "namespace": view.namespace,
        "hard": quota["hard"],
        "container": quota["container"],
        "applied": [_entry(e) for e in view.applied],
        "used": dict(view.used),
    }


def _lines(view: QuotaView) -> list[str]:
    if view.quota.empty:
        return [f"environment {view.environment} has no quota"]
    lines = [f"environment {view.environment} (namespace {view.namespace}):"]
    for key, text in sorted(view.quota.hard.items()):
        used = view.used.get(key)
        lines.append(f"  {key}: {text}" + (f" (used {used})" if used is not None else ""))
    for field, entries in sorted(view.quota.container.items()):
        listed = ", ".join(f"{r}={q}" for r, q in sorted(entries.items()))
        lines.append(f"  container {field}: {listed}")
    if view.unread:
        lines.append(f"  (usage not read: {view.unread})")
    applied = ", ".join(_entry(e) for e in view.applied) or "nothing"
    lines.append(f"  applied: {applied}")
    return lines
