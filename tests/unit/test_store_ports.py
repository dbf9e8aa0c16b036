"""The actions take the store as the narrow facets they use (kapstan.actions.storeports).

Two halves: no action names the concrete ``Store`` (each ``store`` parameter is annotated
with a protocol of ``storeports``), so a signature says what the action may read and
change; and the real ``Store`` satisfies every protocol, checked by mypy (the assignments
in ``every_port``; the tests are type-checked) and at run time (``isinstance`` and the
parameter names of each method).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import get_args

from kapstan.actions import storeports as ports
from kapstan.store import Store

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = ROOT / "kapstan" / "actions"


def protocols() -> dict[str, type]:
    """Every protocol ``storeports`` defines, by name."""
    return {
        name: obj
        for name, obj in vars(ports).items()
        if inspect.isclass(obj)
        and getattr(obj, "_is_protocol", False)
        and obj.__module__ == ports.__name__
    }


def fat_store_uses(module: str, source: str, allowed: set[str]) -> list[str]:
    """Where ``module`` takes the whole Store: imports it, or annotates ``store`` otherwise."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kapstan.store"):
            found += [
                f"{module} imports {node.module}.Store" for a in node.names if a.name == "Store"
            ]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            for arg in args.posonlyargs + args.args + args.kwonlyargs:
                note = arg.annotation
                if arg.arg == "store" and not (isinstance(note, ast.Name) and note.id in allowed):
                    shown = "nothing" if note is None else ast.unparse(note)
                    found.append(f"{module}.{node.name}: store is {shown}, not a storeports facet")
    return found


def test_the_whole_store_is_told_apart_from_a_facet() -> None:
    source = (
        "from kapstan.store import Revision, Store\n"
        "def a(store: Store) -> None: ...\n"
        "def b(store: Deploying) -> None: ...\n"
        "def c(store, x: int) -> None: ...\n"
        "class J:\n    def __init__(self, store: 'Store') -> None: ...\n"
    )
    assert fat_store_uses("kapstan.actions.x", source, {"Deploying"}) == [
        "kapstan.actions.x imports kapstan.store.Store",
        "kapstan.actions.x.a: store is Store, not a storeports facet",
        "kapstan.actions.x.c: store is nothing, not a storeports facet",
        "kapstan.actions.x.__init__: store is 'Store', not a storeports facet",
    ]


def test_no_action_takes_the_whole_store() -> None:
    allowed = set(protocols())
    found = []
    for path in sorted(ACTIONS.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found += fat_store_uses(module, path.read_text(encoding="utf-8"), allowed)
    assert not found, "take the facets used (kapstan.actions.storeports):\n" + "\n".join(found)


# Each element's type is one protocol: mypy rejects the tuple if Store does not satisfy it.
PortsTuple = tuple[
    ports.TemplateReads,
    ports.TemplateWrites,
    ports.ConfigReads,
    ports.ConfigWrites,
    ports.EnvironmentReads,
    ports.EnvironmentWrites,
    ports.ApplicationReads,
    ports.ApplicationWrites,
    ports.RevisionReads,
    ports.RevisionWrites,
    ports.OperationReads,
    ports.OperationLog,
    ports.Locks,
    ports.UserReads,
    ports.UserWrites,
    ports.Tokens,
    ports.RoleGrants,
    ports.AuditLog,
    ports.Approvals,
    ports.Deletions,
    ports.ChecksumKey,
    ports.StateReads,
    ports.RenderInputs,
    ports.AppState,
    ports.Revising,
    ports.AppWrites,
    ports.AppUpdating,
    ports.ConfigEdits,
    ports.EnvironmentEdits,
    ports.AccessEdits,
    ports.ApprovalDecisions,
    ports.Gatekeeping,
    ports.Journal,
    ports.RevisionLog,
    ports.Cancelling,
    ports.Deploying,
    ports.Deleting,
    ports.Removals,
    ports.Promoting,
    ports.Installing,
    ports.CarryingOut,
    ports.Operating,
    ports.ClusterReads,
    ports.ClusterWrites,
    ports.ClusterEdits,
    ports.EnvironmentMaking,
    ports.ClusterViews,
    ports.QuotaWrites,
    ports.QuotaEdits,
    ports.LogRuleWrites,
    ports.LogRuleEdits,
    ports.DriftReads,
    ports.DriftWrites,
    ports.Drifting,
    ports.Healing,
    ports.StatusReads,
    ports.OperationHistory,
    ports.InstanceReads,
    ports.RolloutRecords,
    ports.RolloutPlanEdits,
    ports.RollingOut,
]


def every_port(store: Store) -> PortsTuple:
    """mypy proves the real Store satisfies each protocol (signatures included)."""
    return (
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
        store,
    )


def test_the_real_store_satisfies_every_port(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'k.db'}", environ={}) as store:
        missing = [name for name, proto in protocols().items() if not isinstance(store, proto)]
        assert not missing, f"Store lacks a method of: {missing}"
        # The typed tuple names every protocol (a new one is added there too, for mypy).
        assert len(every_port(store)) == len(protocols()) == len(get_args(PortsTuple))


def test_every_port_method_takes_the_stores_parameter_names() -> None:
    """A facet's method passes only parameters the store's method has (by name)."""
    wrong = []
    for name, proto in protocols().items():
        for member in vars(proto):
            method = getattr(proto, member)
            if member.startswith("_") or not callable(method):
                continue
            real = set(inspect.signature(getattr(Store, member)).parameters)
            extra = set(inspect.signature(method).parameters) - real
            if extra:
                wrong.append(f"{name}.{member}: {sorted(extra)} not taken by Store.{member}")
    assert not wrong, "\n".join(wrong)
