"""Pydantic models at the HTTP edge: request bodies and responses, camelCase on the wire.

One module per part of the API; every name is re-exported here, so callers write
``schemas.ApplicationOut``. The market's models live in ``schemas.market``. Converting
records to these models lives in ``kapstan.api.convert``.
"""

from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Loaded by name on first use (PEP 562): a client command decoding two answers builds the
# few models it reads, not the API's ~90 (pydantic builds each model's validator at import).
# The imports below are the one list of names: type checkers read them, and _where() reads
# this file's source for the module of each name.
if TYPE_CHECKING:
    from kapstan.schemas.access import (
        ApprovalOut,
        AuditOut,
        LoginRequest,
        NewToken,
        RejectRequest,
        RoleGrant,
        TokenOut,
        TokenRequest,
        UserCreate,
        UserOut,
        WithdrawRequest,
    )
    from kapstan.schemas.applications import (
        ApplicationCreate,
        ApplicationOut,
        ApplicationUpdate,
        ApplicationUpdateOut,
        ChangesOut,
        ConflictOut,
        GraphNode,
        GraphOut,
        PlanOut,
        RenderedServiceOut,
        ResourcePlanOut,
        ServiceChangeOut,
        ServiceOut,
        ServicePlanOut,
    )
    from kapstan.schemas.base import (
        MAX_STORED_INT,
        ErrorBody,
        ErrorDetail,
        JsonScalar,
        Model,
        Page,
        StoredInt,
    )
    from kapstan.schemas.clusters import (
        ClusterCreate,
        ClusterNew,
        ClusterOut,
        ClusterReportOut,
        KeptOut,
        MoveOut,
        NodeOut,
        NodeRemovalOut,
        NodesAdd,
        NodesRemove,
    )
    from kapstan.schemas.configs import (
        ConfigDiffOut,
        ConfigHistoryOut,
        ConfigOut,
        ConfigRollback,
        ConfigSet,
        ConfigVersionOut,
        ConfigWriteOut,
        HookOut,
        HookRequest,
        KeyChangeOut,
        TriggeredOut,
        WebhookSecretOut,
    )
    from kapstan.schemas.deletions import (
        ConfigDeletedOut,
        DeletionPlanOut,
        EnvironmentDeletedOut,
        RemovalOut,
        RoleRevokedOut,
        ServiceRemovalOut,
        TemplateDeletedOut,
    )
    from kapstan.schemas.environments import (
        ApprovalSetting,
        BoundarySetting,
        ConfigSetting,
        EnvironmentClone,
        EnvironmentCreate,
        EnvironmentOut,
        KubernetesOut,
    )
    from kapstan.schemas.operations import (
        Accepted,
        AutoscalerOut,
        DeployRequest,
        EventOut,
        FieldChangeOut,
        OperationOut,
        PromoteRequest,
        ResourceChangeOut,
        RevisionDiffOut,
        RevisionOut,
        RollbackRequest,
        ScalingConditionOut,
        ServiceStateOut,
        ServiceStatusOut,
    )
    from kapstan.schemas.templates import (
        ServiceSpecOut,
        TemplateFilesOut,
        TemplateImport,
        TemplateImportOut,
        TemplateOut,
        TemplateVersionOut,
        VariableOut,
    )


@functools.cache
def _where() -> dict[str, str]:
    """Each name's module. Built whole before it is returned: a thread never reads half."""
    where: dict[str, str] = {}
    for node in ast.walk(ast.parse(Path(__file__).read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(__name__ + "."):
            where.update({alias.name: node.module or "" for alias in node.names})
    return where


def __getattr__(name: str) -> Any:
    module = _where().get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "MAX_STORED_INT",
    "Accepted",
    "ApplicationCreate",
    "ApplicationOut",
    "ApplicationUpdate",
    "ApplicationUpdateOut",
    "ApprovalOut",
    "ApprovalSetting",
    "AuditOut",
    "AutoscalerOut",
    "BoundarySetting",
    "ChangesOut",
    "ClusterCreate",
    "ClusterNew",
    "ClusterOut",
    "ClusterReportOut",
    "ConfigDeletedOut",
    "ConfigDiffOut",
    "ConfigHistoryOut",
    "ConfigOut",
    "ConfigRollback",
    "ConfigSet",
    "ConfigSetting",
    "ConfigVersionOut",
    "ConfigWriteOut",
    "ConflictOut",
    "DeletionPlanOut",
    "DeployRequest",
    "EnvironmentClone",
    "EnvironmentCreate",
    "EnvironmentDeletedOut",
    "EnvironmentOut",
    "ErrorBody",
    "ErrorDetail",
    "EventOut",
    "FieldChangeOut",
    "GraphNode",
    "GraphOut",
    "HookOut",
    "HookRequest",
    "JsonScalar",
    "KeptOut",
    "KeyChangeOut",
    "KubernetesOut",
    "LoginRequest",
    "Model",
    "MoveOut",
    "NewToken",
    "NodeOut",
    "NodeRemovalOut",
    "NodesAdd",
    "NodesRemove",
    "OperationOut",
    "Page",
    "PlanOut",
    "PromoteRequest",
    "RejectRequest",
    "RemovalOut",
    "RenderedServiceOut",
    "ResourceChangeOut",
    "ResourcePlanOut",
    "RevisionDiffOut",
    "RevisionOut",
    "RoleGrant",
    "RoleRevokedOut",
    "RollbackRequest",
    "ScalingConditionOut",
    "ServiceChangeOut",
    "ServiceOut",
    "ServicePlanOut",
    "ServiceRemovalOut",
    "ServiceSpecOut",
    "ServiceStateOut",
    "ServiceStatusOut",
    "StoredInt",
    "TemplateDeletedOut",
    "TemplateFilesOut",
    "TemplateImport",
    "TemplateImportOut",
    "TemplateOut",
    "TemplateVersionOut",
    "TokenOut",
    "TokenRequest",
    "TriggeredOut",
    "UserCreate",
    "UserOut",
    "VariableOut",
    "WebhookSecretOut",
    "WithdrawRequest",
]
