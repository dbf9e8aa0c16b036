"""Pydantic models at the HTTP edge: request bodies and responses, camelCase on the wire.

Field names are snake_case in Python and camelCase in JSON (``dependsOn``); requests
accept either spelling. Config values are JSON scalars; a secret is always the string
``<redacted>`` in a response. Converting records to these models lives in ``convert``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

JsonScalar = str | int | float | bool | None
T = TypeVar("T")
# Ids, versions and offsets live in integer columns (32 bits in PostgreSQL): a number past
# them is refused at the edge (422 naming the field), not by the database driver (a 500).
MAX_STORED_INT = 2**31 - 1
StoredInt = Annotated[int, Field(ge=-MAX_STORED_INT - 1, le=MAX_STORED_INT)]


class Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Page(Model, Generic[T]):
    """One page of a list: ``next`` is the offset of the next page, or null at the end."""

    items: list[T]
    total: int | None = None
    limit: int
    offset: int
    next: int | None = None


class ErrorDetail(Model):
    type: str
    message: str


class ErrorBody(Model):
    error: ErrorDetail


# --- auth, users, tokens -----------------------------------------------------------------


class LoginRequest(Model):
    user: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(Model):
    id: int
    description: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart.")
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class NewToken(Model):
    token: str = Field(description="Shown once; send it as 'Authorization: Bearer <token>'.")
    info: TokenOut
    user: str


class TokenRequest(Model):
    description: str = Field("", max_length=200)


class UserOut(Model):
    name: str
    admin: bool
    disabled: bool
    created_at: datetime
    roles: dict[str, str] = Field(description="Environment -> role granted there.")


class UserCreate(Model):
    name: str = Field(min_length=1, max_length=100)
    password: str | None = Field(None, description="None: a token-only user.")
    admin: bool = False


class RoleGrant(Model):
    environment: str
    role: Literal["viewer", "deployer", "admin"]


# --- templates ----------------------------------------------------------------------------


class TemplateImport(Model):
    name: str = Field(min_length=1, max_length=100)
    files: dict[str, str] = Field(description="Relative path -> text; must hold kapstan.yaml.")
    message: str = ""


class TemplateVersionOut(Model):
    name: str
    version: int
    digest: str
    author: str
    message: str
    created_at: datetime


class TemplateImportOut(Model):
    version: TemplateVersionOut
    created: bool


class VariableOut(Model):
    key: str
    has_default: bool
    default: JsonScalar
    services: list[str]


class ServiceSpecOut(Model):
    name: str
    manifests: list[str]
    depends_on: list[str]
    calls: list[str]
    delivered_keys: list[str]


class TemplateOut(TemplateVersionOut):
    services: list[ServiceSpecOut]
    files: list[str]
    variables: list[VariableOut]


class TemplateFilesOut(TemplateVersionOut):
    """A version with its content: what ``template export`` writes, as an import sends it."""

    files: dict[str, str] = Field(description="Relative path -> text.")


# --- configs ------------------------------------------------------------------------------


class ConfigVersionOut(Model):
    name: str
    version: int
    author: str
    message: str
    created_at: datetime
    keys: int


class ConfigOut(ConfigVersionOut):
    values: dict[str, JsonScalar]
    secret_keys: list[str]


class KeyChangeOut(Model):
    key: str
    old: JsonScalar
    new: JsonScalar
    secret: bool


class ConfigDiffOut(Model):
    added: list[KeyChangeOut]
    removed: list[KeyChangeOut]
    changed: list[KeyChangeOut]


class ConfigHistoryOut(ConfigVersionOut):
    changes: ConfigDiffOut


class ConfigSet(Model):
    values: dict[str, JsonScalar] = {}
    secret: bool = Field(False, description="Store every value of this request as a secret.")
    unset: list[str] = []
    replace: bool = Field(
        False, description="'values' become the whole config: keys not in them are removed."
    )
    message: str = ""


class ConfigRollback(Model):
    version: int = Field(ge=1, le=MAX_STORED_INT, description="The version the new one will equal.")
    message: str = Field("", description="Default: 'rollback to version N'.")


class TriggeredOut(Model):
    """What a config change started on an application with ``kapstan.autoDeploy: true``."""

    app: str
    services: list[str]
    operation_id: int | None = None
    approval_id: int | None = None
    message: str = ""


class ConfigWriteOut(Model):
    version: ConfigVersionOut
    created: bool
    triggered: list[TriggeredOut] = []


# --- environments -------------------------------------------------------------------------


class EnvironmentOut(Model):
    name: str
    kubeconfig: str = Field(description="Path of the kubeconfig file on the server.")
    namespace: str
    context: str | None
    config: str | None
    requires_approval: bool
    created_at: datetime
    reachable: bool | None = None
    reachability: str | None = None


class EnvironmentCreate(Model):
    name: str
    kubeconfig: str = Field(description="Path of a kubeconfig file on the server.")
    namespace: str
    context: str | None = None
    config: str | None = None
    requires_approval: bool = False


class EnvironmentClone(Model):
    name: str


class ApprovalSetting(Model):
    required: bool


# --- applications -------------------------------------------------------------------------


class ApplicationOut(Model):
    name: str
    template: str
    template_version: int
    environment: str
    config: str
    config_version: int | None
    created_at: datetime
    updated_at: datetime
    auto_deploy: bool = False
    services: list[str] = []
    health: dict[str, str] | None = None
    effective_config_version: int | None = Field(
        None,
        description="The config version the app renders with: configVersion, or the "
        "config's latest when configVersion is null (the app follows it).",
    )


class ApplicationCreate(Model):
    name: str
    template: str
    template_version: StoredInt | None = None
    environment: str
    config: str | None = None
    config_version: StoredInt | None = None


class ApplicationUpdate(Model):
    template_version: StoredInt | None = None
    config_version: StoredInt | None = None


class ServiceChangeOut(Model):
    service: str
    kind: str
    old_hash: str | None
    new_hash: str | None
    keys: list[str]
    files: list[str]
    notes: list[str]
    description: str


class ChangesOut(Model):
    app: str
    template: str = Field("", description="The template's name.")
    config: str = Field("", description="The config's name.")
    from_template: int
    to_template: int
    from_config: int
    to_config: int
    changes: list[ServiceChangeOut]


class ApplicationUpdateOut(ApplicationOut):
    """An updated application and which services' output the update changes, and why."""

    changes: ChangesOut


class RenderedServiceOut(Model):
    service: str
    hash: str
    objects: list[dict[str, Any]]


class ServiceOut(Model):
    service: str
    kinds: list[str]
    depends_on: list[str]
    calls: list[str]
    hash: str
    revision: int | None
    latest_revision: RevisionOut | None = Field(
        None, description="The service's latest revision, whatever its status."
    )


class GraphNode(Model):
    name: str
    depends_on: list[str]
    calls: list[str]


class GraphOut(Model):
    app: str
    services: list[GraphNode]
    waves: list[list[str]]


class ResourcePlanOut(Model):
    resource: str
    action: str
    diff: str | None = None


class ServicePlanOut(Model):
    service: str
    action: str
    content_hash: str
    color: str | None
    live_color: str | None = Field(None, description="Blue-green: the colour live now.")
    resources: list[ResourcePlanOut]
    prune: list[dict[str, str]]


class PlanOut(Model):
    services: list[ServicePlanOut]
    warnings: list[str]


class DeployRequest(Model):
    services: list[str] = []
    atomic: bool = False
    timeout: float = Field(300.0, gt=0, le=3600)
    force: bool = False
    message: str = ""


class RollbackRequest(Model):
    service: str | None = None
    to: int | None = Field(None, ge=1, le=MAX_STORED_INT)
    timeout: float = Field(300.0, gt=0, le=3600)


class PromoteRequest(Model):
    to_environment: str
    app_name: str | None = None
    deploy: bool = Field(True, description="False: create or update the app there, no deploy.")
    timeout: float = Field(300.0, gt=0, le=3600)


class ServiceStatusOut(Model):
    service: str
    revision: int | None
    revision_status: str
    ready: int
    desired: int
    health: str
    message: str
    outdated: bool


class RevisionOut(Model):
    service: str
    revision: int
    status: str
    template: str
    config: str
    hash: str
    author: str
    message: str
    created_at: datetime
    operation_id: int | None


class FieldChangeOut(Model):
    path: str
    old: Any = None
    new: Any = None


class ResourceChangeOut(Model):
    resource: str
    action: str
    fields: list[FieldChangeOut]
    # The parts of ``resource``, so a client rebuilds the key without parsing text.
    group: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""


class RevisionDiffOut(Model):
    old: RevisionOut
    new: RevisionOut
    unified: str
    structured: list[ResourceChangeOut]


class ServiceStateOut(Model):
    service: str
    step: str
    message: str
    revision: int | None


class EventOut(Model):
    at: datetime
    service: str
    resource: str
    status: str
    message: str


class OperationOut(Model):
    id: int
    app: str
    kind: str
    status: str
    author: str
    started_at: datetime
    finished_at: datetime | None
    message: str
    services: list[ServiceStateOut]
    events: list[EventOut] = []


class Accepted(Model):
    """202: the work goes on; follow the operation, or wait for the approval."""

    operation_id: int | None = None
    approval_id: int | None = None
    status: str
    message: str = ""
    app: str | None = None
    created: bool | None = None  # a promotion: whether it created the app (else updated it)


class WebhookSecretOut(Model):
    app: str
    secret: str = Field(description="Shown once; sign requests with it.")
    config_version: int


# --- audit and approvals ------------------------------------------------------------------


class AuditOut(Model):
    id: int
    at: datetime
    actor: str
    action: str
    kind: str
    name: str
    environment: str | None
    from_version: str | None
    to_version: str | None
    details: dict[str, Any]


class ApprovalOut(Model):
    id: int
    kind: str
    application: str
    environment: str
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    payload: dict[str, Any]
    used_at: datetime | None


class RejectRequest(Model):
    reason: str = Field(min_length=1, max_length=1000)


class WithdrawRequest(Model):
    reason: str = Field("", max_length=1000)


class HookRequest(Model):
    set: dict[str, JsonScalar] = Field(description="Config keys to set, e.g. api.image.tag.")
    message: str = ""


class HookOut(Model):
    app: str
    config: ConfigVersionOut
    created: bool
    triggered: list[TriggeredOut] = []
