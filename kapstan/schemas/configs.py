"""Configs: versions, values, diffs, writes and what they trigger; the CI webhook."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from kapstan.schemas.base import MAX_STORED_INT, JsonScalar, Model


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
    plain: bool = Field(
        False,
        description="Make keys that are secret plain (audited as config.plain). Without it a "
        "key that is secret stays secret: its new value is stored encrypted, as text.",
    )
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
    kept_secret: list[str] = Field([], description="Secret keys given a plain value: kept secret.")
    made_plain: list[str] = Field([], description="Secret keys made plain by 'plain'.")


class WebhookSecretOut(Model):
    app: str
    secret: str = Field(description="Shown once; sign requests with it.")
    config_version: int


class HookRequest(Model):
    set: dict[str, JsonScalar] = Field(description="Config keys to set, e.g. api.image.tag.")
    message: str = ""


class HookOut(Model):
    app: str
    config: ConfigVersionOut
    created: bool
    triggered: list[TriggeredOut] = []
