"""The store as the actions see it: one narrow interface per part of Kapstan's state.

``kapstan.store.Store`` is one object of many mixins; an action takes only the facets it
uses (an intersection of the protocols below when it needs several), so its signature says
what it may read and change, and mypy proves both that the real ``Store`` satisfies each
facet and that the action touches nothing it did not declare. Reads and writes of the same
object are separate facets: a view that takes only ``*Reads`` cannot change anything.

The protocols list only the methods the actions call, with the parameters they pass (the
store's methods may take more, with defaults). They are ``runtime_checkable`` so a test can
check the real store against each of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from kapstan.model.operation import JournalEntry, Operation, Step
from kapstan.model.records import (
    Application,
    Approval,
    AuditEntry,
    Cluster,
    ConfigVersion,
    Environment,
    LockInfo,
    Revision,
    TemplateVersion,
    TokenInfo,
    User,
)
from kapstan.model.rollouts import Rollout, RolloutPlan
from kapstan.model.values import SecretValue, Value
from kapstan.store.drift import DriftCheck
from kapstan.store.environments import Unchanged
from kapstan.store.revisions import RevisionChange


@runtime_checkable
class TemplateReads(Protocol):
    """Stored template versions, read."""

    def get_template(self, name: str, version: int | None = None) -> TemplateVersion: ...


@runtime_checkable
class TemplateWrites(Protocol):
    """New template versions."""

    def save_template_version(
        self, name: str, files: dict[str, str], digest: str, *, author: str, message: str = ""
    ) -> tuple[TemplateVersion, bool]: ...


@runtime_checkable
class ConfigReads(Protocol):
    """Config versions and their history, read."""

    def get_config(self, name: str, version: int | None = None) -> ConfigVersion: ...

    def config_history(self, name: str) -> list[ConfigVersion]: ...


@runtime_checkable
class ConfigWrites(Protocol):
    """New configs and new versions of a config."""

    def create_config(
        self, name: str, values: Mapping[str, Value], *, author: str, message: str = ""
    ) -> ConfigVersion: ...

    def add_config_version(
        self,
        name: str,
        values: Mapping[str, Value],
        *,
        author: str,
        message: str = "",
        expected_version: int | None = None,
        made_plain: Collection[str] = (),
    ) -> ConfigVersion: ...


@runtime_checkable
class EnvironmentReads(Protocol):
    """Environments, read."""

    def get_environment(self, name: str) -> Environment: ...

    def list_environments(self) -> list[Environment]: ...


@runtime_checkable
class EnvironmentWrites(Protocol):
    """New environments and changes to one: its config, its boundary, its namespace."""

    def create_environment(
        self,
        name: str,
        *,
        kubeconfig: str,
        context: str | None,
        namespace: str,
        config: str | None,
        shared: bool = False,
        cluster: str | None = None,
    ) -> Environment: ...

    def clone_environment(
        self,
        src: str,
        new: str,
        *,
        author: str,
        namespace: str | None = None,
        kubeconfig: str | None = None,
        context: str | None = None,
        shared: bool | None = None,
    ) -> Environment: ...

    def set_environment_config(self, name: str, config: str | None) -> Environment: ...

    def set_environment_boundary(
        self,
        name: str,
        *,
        allowed_namespaces: Sequence[str] | None = None,
        allowed_kinds: Sequence[str] | None = None,
        impersonate: str | Unchanged | None = ...,
        shared: bool | None = None,
    ) -> Environment: ...

    def mark_namespace_created(self, name: str) -> Environment: ...

    def set_environment_self_heal(self, name: str, heal: bool) -> Environment: ...


@runtime_checkable
class ClusterReads(Protocol):
    """Registered clusters, read; a kubeconfig only ever sealed (decrypted on reveal)."""

    def get_cluster(self, name: str) -> Cluster: ...

    def list_clusters(self) -> list[Cluster]: ...

    def cluster_kubeconfig(self, name: str) -> SecretValue: ...

    def clusters_with_server(self, server: str) -> list[tuple[str, SecretValue]]: ...

    def environments_on_cluster(self, name: str) -> list[str]: ...


@runtime_checkable
class ClusterWrites(Protocol):
    """Clusters registered and removed; an environment put on one."""

    def add_cluster(
        self,
        name: str,
        *,
        kubeconfig: str,
        context: str | None,
        server: str,
        created_by: str,
        sandbox: str | None = None,
    ) -> Cluster: ...

    def remove_cluster(self, name: str) -> None: ...

    def set_environment_cluster(self, environment: str, cluster: str) -> None: ...


@runtime_checkable
class ApplicationReads(Protocol):
    """Applications, read."""

    def get_application(self, name: str) -> Application: ...

    def list_applications(self) -> list[Application]: ...

    def find_applications(
        self, *, environments: Collection[str] | None = None, search: str | None = None
    ) -> list[Application]: ...


@runtime_checkable
class ApplicationWrites(Protocol):
    """New applications and the versions an application is pinned to."""

    def create_application(
        self,
        name: str,
        *,
        template: str,
        template_version: int,
        environment: str,
        config: str,
        config_version: int | None,
    ) -> Application: ...

    # Only the pins the actions move; the store's method can change more (left as they are).
    def update_application(
        self, name: str, *, template_version: int = ..., config_version: int | None = ...
    ) -> Application: ...


@runtime_checkable
class RevisionReads(Protocol):
    """Deployed revisions of an application's services, read."""

    def list_revisions(
        self, app: str, service: str | None = None, *, deleted: bool = False
    ) -> list[Revision]: ...

    def get_revision(self, app: str, service: str, number: int) -> Revision: ...

    def latest_revision(
        self, app: str, service: str, *, status: str | None = "deployed"
    ) -> Revision | None: ...

    def latest_revisions(self, app: str, services: Sequence[str]) -> dict[str, Revision | None]: ...


@runtime_checkable
class RevisionWrites(Protocol):
    """New revisions and what became of them."""

    def add_revision(
        self,
        app: str,
        service: str,
        *,
        manifests: str,
        hash: str,
        template: str,
        template_version: int,
        config: str,
        config_version: int,
        author: str,
        message: str = "",
        status: str = "deployed",
        inventory: Sequence[Mapping[str, str]] = (),
        operation_id: int | None = None,
    ) -> Revision: ...

    def update_revision(
        self,
        app: str,
        service: str,
        number: int,
        *,
        inventory: Sequence[Mapping[str, str]],
        message: str | None = None,
        status: str | None = None,
    ) -> Revision: ...

    def record_revisions(self, changes: Sequence[RevisionChange]) -> list[Revision]: ...

    def interrupt_revisions(
        self, app: str, *, operation_id: int | None = None, status: str = ...
    ) -> list[Revision]: ...


@runtime_checkable
class OperationReads(Protocol):
    """Operations (deploys, rollbacks, deletions), read; and whether one was asked to stop."""

    def get_operation(self, op_id: int) -> Operation: ...

    def cancel_requested(self, op_id: int) -> str | None: ...


@runtime_checkable
class OperationLog(Protocol):
    """An operation's life: started, its events and service states, finished or discarded."""

    def start_operation(
        self, app: str, kind: str, *, author: str, message: str = "", services: Sequence[str]
    ) -> Operation: ...

    def record_event(
        self, op_id: int, *, status: str, message: str, service: str = "", resource: str = ""
    ) -> None: ...

    def set_service_state(
        self,
        op_id: int,
        service: str,
        step: Step,
        message: str = "",
        revision: int | None = None,
    ) -> None: ...

    def record_journal(self, op_id: int, entries: Sequence[JournalEntry]) -> None: ...

    def finish_operation(self, op_id: int, status: Step, message: str = "") -> None: ...

    def discard_operation(self, op_id: int) -> None: ...

    def request_cancel(self, app: str, *, by: str) -> int: ...


@runtime_checkable
class Locks(Protocol):
    """The per-application lock an operation holds while it changes a cluster."""

    def acquire_lock(
        self,
        app: str,
        *,
        owner: str,
        operation_id: int,
        lease_seconds: float,
        dead_owner: str | None = None,
    ) -> LockInfo: ...

    def renew_lock(self, app: str, *, owner: str, lease_seconds: float) -> LockInfo: ...

    def release_lock(self, app: str, *, owner: str) -> None: ...

    def get_lock(self, app: str) -> LockInfo | None: ...


@runtime_checkable
class UserReads(Protocol):
    """Users, read."""

    def get_user(self, name: str) -> User: ...


@runtime_checkable
class UserWrites(Protocol):
    """Users disabled and enabled again."""

    def disable_user(self, name: str) -> User: ...

    def enable_user(self, name: str) -> User: ...


@runtime_checkable
class Tokens(Protocol):
    """API tokens (only revoked by the actions; made by the front doors)."""

    def revoke_token(self, token_id: int) -> TokenInfo: ...


@runtime_checkable
class RoleGrants(Protocol):
    """Who holds which role in which environment."""

    def role_for(self, user: str, environment: str) -> str | None: ...

    def revoke_role(self, user: str, environment: str) -> None: ...


@runtime_checkable
class AuditLog(Protocol):
    """The audit trail, written."""

    def audit(
        self,
        actor: str,
        action: str,
        *,
        kind: str,
        name: str,
        environment: str | None = None,
        from_version: str | None = None,
        to_version: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry: ...


@runtime_checkable
class Approvals(Protocol):
    """Approval requests and their decisions."""

    def request_approval(
        self,
        *,
        kind: str,
        application: str,
        environment: str,
        requested_by: str,
        payload: Mapping[str, Any],
    ) -> Approval: ...

    def approve(self, approval_id: int, *, user: str) -> Approval: ...

    def reject(self, approval_id: int, *, user: str, reason: str) -> Approval: ...

    def get_approval(self, approval_id: int) -> Approval: ...

    def mark_approval_used(self, approval_id: int) -> Approval: ...


@runtime_checkable
class Deletions(Protocol):
    """Removing applications, environments, configs and templates from the store."""

    def delete_application(
        self, name: str, *, operation_id: int, owner: str, message: str
    ) -> None: ...

    def delete_environment(self, name: str) -> None: ...

    def delete_config(self, name: str) -> None: ...

    def delete_template(self, name: str, version: int | None = None) -> list[int]: ...


@runtime_checkable
class ChecksumKey(Protocol):
    """The key rendered checksums are made with (None: none configured)."""

    def checksum_key(self) -> bytes | None: ...


@runtime_checkable
class DriftReads(Protocol):
    """The last drift check of each service, read."""

    def list_drift(self, app: str | None = None) -> list[DriftCheck]: ...


@runtime_checkable
class DriftWrites(Protocol):
    """Drift checks recorded, claimed (one checker per interval) and marked healed."""

    def record_drift(
        self,
        app: str,
        service: str,
        *,
        drifted: bool,
        revision: int | None,
        diff: str,
        fields: Sequence[str],
    ) -> DriftCheck: ...

    def claim_drift_check(self, app: str, *, since: datetime) -> bool: ...

    def mark_drift_healed(self, app: str, services: Sequence[str], operation_id: int) -> None: ...


# What one action or a family of them needs: intersections of the facets above.


@runtime_checkable
class StateReads(TemplateReads, ConfigReads, EnvironmentReads, ApplicationReads, Protocol):
    """An application, its environment, template and config versions, read."""


@runtime_checkable
class RenderInputs(StateReads, ChecksumKey, Protocol):
    """All that rendering an application at some versions reads."""


@runtime_checkable
class AppState(RenderInputs, RevisionReads, Protocol):
    """An application as rendered and as deployed: plans, status, views, rollback choices."""


@runtime_checkable
class Revising(AppState, RevisionWrites, Protocol):
    """Rendering with the engine's revision port (``StoreRevisions``); a plan records none."""


@runtime_checkable
class AppWrites(RenderInputs, ApplicationWrites, ConfigWrites, Protocol):
    """Creating an application (with its default config) or moving its pins."""


@runtime_checkable
class AppUpdating(AppWrites, AuditLog, Protocol):
    """An application's pins moved (``app update``), the move audited."""


@runtime_checkable
class ConfigEdits(ConfigReads, ConfigWrites, AuditLog, Protocol):
    """A config changed, each change audited."""


@runtime_checkable
class EnvironmentEdits(EnvironmentReads, EnvironmentWrites, ConfigReads, AuditLog, Protocol):
    """An environment made or changed (its config must exist), each change audited."""


@runtime_checkable
class ClusterEdits(ClusterReads, ClusterWrites, EnvironmentReads, ChecksumKey, AuditLog, Protocol):
    """Clusters registered (one for an environment's kubeconfig too) or removed; audited."""


@runtime_checkable
class EnvironmentMaking(EnvironmentEdits, ClusterEdits, Protocol):
    """An environment made on a registered cluster, or on a kubeconfig registered as one."""


@runtime_checkable
class ClusterViews(ClusterReads, EnvironmentReads, ApplicationReads, Protocol):
    """A cluster shown with the environments and applications that run there."""


@runtime_checkable
class AccessEdits(UserWrites, RoleGrants, Tokens, AuditLog, Protocol):
    """Users disabled or enabled, roles and tokens revoked, each change audited."""


@runtime_checkable
class ApprovalDecisions(Approvals, AuditLog, Protocol):
    """An approval approved, rejected or withdrawn, audited."""


@runtime_checkable
class Gatekeeping(EnvironmentReads, Approvals, AuditLog, UserReads, Protocol):
    """The approval gate: does the environment require one, ask for it, spend it."""


@runtime_checkable
class Journal(OperationReads, OperationLog, Locks, Protocol):
    """One running operation: its record and the application's lock."""


@runtime_checkable
class RevisionLog(RevisionReads, RevisionWrites, Protocol):
    """Revisions read and recorded."""


@runtime_checkable
class Cancelling(
    ApplicationReads, OperationReads, OperationLog, RevisionWrites, AuditLog, Protocol
):
    """A cancel asked for, and an operation ended as cancelled."""


@runtime_checkable
class LogRuleWrites(Protocol):
    """An environment's log rules and what was applied for its collector, replaced whole."""

    def set_environment_log_rules(self, name: str, data: Mapping[str, Any]) -> Environment: ...


@runtime_checkable
class Deploying(Revising, Journal, Gatekeeping, EnvironmentWrites, LogRuleWrites, Protocol):
    """A deploy or rollback: render, gate, lock, journal, record revisions; the
    environment's log collector follows the services deployed."""


@runtime_checkable
class Deleting(Revising, Journal, Gatekeeping, Deletions, Protocol):
    """An application (or an environment's) deleted from its cluster and the store."""


@runtime_checkable
class Removals(Deletions, AuditLog, Protocol):
    """A template or config removed from the store, audited."""


@runtime_checkable
class Promoting(AppWrites, Gatekeeping, Protocol):
    """An application promoted to another environment (created there or moved on)."""


@runtime_checkable
class Installing(AppWrites, TemplateWrites, Protocol):
    """A market template saved and installed as an application."""


@runtime_checkable
class CarryingOut(Deploying, Deleting, Promoting, Protocol):
    """An approved request run: a deploy, rollback, deletion or promotion."""


@runtime_checkable
class Operating(CarryingOut, Installing, ConfigEdits, Protocol):
    """The demo: installs, configures, deploys, promotes and deletes."""


@runtime_checkable
class StatusReads(AppState, DriftReads, Protocol):
    """An application's status: as rendered, as deployed, and its last drift check."""


@runtime_checkable
class Drifting(AppState, DriftReads, DriftWrites, Protocol):
    """An application's services checked for drift against their last revision, recorded."""


@runtime_checkable
class Healing(Deploying, Drifting, Protocol):
    """Drift checked, and healed by a deploy of the drifted services (audited)."""


@runtime_checkable
class QuotaWrites(Protocol):
    """An environment's quota, replaced whole."""

    def set_environment_quota(self, name: str, quota: Mapping[str, Any]) -> Environment: ...


@runtime_checkable
class LogRuleEdits(AppState, EnvironmentWrites, LogRuleWrites, AuditLog, Protocol):
    """An environment's log rules set or cleared, its collector applied, audited."""


@runtime_checkable
class QuotaEdits(AppState, EnvironmentWrites, QuotaWrites, AuditLog, Protocol):
    """An environment's quota set or cleared: applied to its namespace, audited."""


@runtime_checkable
class OperationHistory(Protocol):
    """An application's last operations, newest first (without their events), read."""

    def list_operations(self, app: str, limit: int = 20) -> list[Operation]: ...


@runtime_checkable
class InstanceReads(StatusReads, OperationHistory, Protocol):
    """An application's instances in every environment: versions, live status, the last
    drift check and the last operation of each (``actions.instances``)."""


@runtime_checkable
class RolloutRecords(Protocol):
    """Rollouts across environments and the named plans they follow (``actions.rollouts``)."""

    def save_rollout_plan(
        self,
        name: str,
        *,
        canary: str,
        then: Sequence[str],
        soak: float,
        parallel: int,
        rollback_on_failure: bool,
        author: str,
    ) -> RolloutPlan: ...

    def get_rollout_plan(self, name: str) -> RolloutPlan: ...

    def list_rollout_plans(self) -> list[RolloutPlan]: ...

    def delete_rollout_plan(self, name: str) -> None: ...

    def create_rollout(
        self,
        *,
        application: str,
        template: str,
        template_version: int,
        targets: Sequence[tuple[str, str]],
        plan: str | None,
        soak: float,
        parallel: int,
        rollback_on_failure: bool,
        timeout: float,
        author: str,
        status: str = ...,
        owner: str | None = ...,
        lease_seconds: float = ...,
    ) -> Rollout: ...

    def claim_rollout(
        self,
        rollout_id: int,
        *,
        owner: str,
        lease_seconds: float,
        dead_owner: str | None = None,
    ) -> tuple[Rollout, str | None]: ...

    def renew_rollout(
        self, rollout_id: int, *, owner: str, claimed_at: datetime, lease_seconds: float
    ) -> Rollout: ...

    def release_rollout(self, rollout_id: int, *, owner: str, claimed_at: datetime) -> Rollout: ...

    def update_rollout_target(
        self, rollout_id: int, environment: str, **fields: Any
    ) -> Rollout: ...

    def set_rollout_status(self, rollout_id: int, status: str, error: str = "") -> Rollout: ...

    def get_rollout(self, rollout_id: int) -> Rollout: ...

    def list_rollouts(self, application: str | None = None, limit: int = ...) -> list[Rollout]: ...


@runtime_checkable
class RollingOut(Deploying, Promoting, RolloutRecords, Protocol):
    """A rollout: each environment promoted and deployed (gated), soaked, rolled back."""


@runtime_checkable
class RolloutPlanEdits(RolloutRecords, EnvironmentReads, AuditLog, Protocol):
    """Named rollout plans saved (over environments that exist) or deleted, audited."""
