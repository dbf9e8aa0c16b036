"""``/api/v1/configs``: list, one version, history, diff, set keys (secret or not), unset,
replace the whole config, roll back to a version.

Secret values leave the server as ``<redacted>`` in every response (see ``convert.shown``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kapstan import schemas
from kapstan.actions import configs
from kapstan.actions.configfiles import check_key
from kapstan.api import auditing, convert
from kapstan.api.auth import Caller, CallerDep
from kapstan.api.flows.triggers import after_config_change
from kapstan.api.pagination import WindowDep, paged
from kapstan.api.state import runner_of
from kapstan.errors import ForbiddenError, InputError, NotFoundError
from kapstan.model.values import SecretValue, Value
from kapstan.plan.configdiff import diff_configs

router = APIRouter(prefix="/api/v1/configs", tags=["configs"])


@router.get("")
def list_configs(caller: CallerDep, at: WindowDep) -> schemas.Page[schemas.ConfigVersionOut]:
    visible = [c for c in caller.store.list_configs() if _may_view(caller, c.name)]
    return paged(visible, at, convert.config_version)


@router.get("/{name}")
def get_config(
    caller: CallerDep, name: str, version: schemas.StoredInt | None = None
) -> schemas.ConfigOut:
    caller.config(name, "view")
    return convert.config(caller.store.get_config(name, version))


@router.get("/{name}/history")
def config_history(
    caller: CallerDep, name: str, at: WindowDep
) -> schemas.Page[schemas.ConfigHistoryOut]:
    caller.config(name, "view")
    return paged(configs.config_history(caller.store, name), at, convert.config_history)


@router.get("/{name}/diff")
def config_diff(
    caller: CallerDep, name: str, old: schemas.StoredInt, new: schemas.StoredInt
) -> schemas.ConfigDiffOut:

    caller.config(name, "view")
    return convert.config_diff(configs.diff_config_versions(caller.store, name, old, new))


@router.post("/{name}/values")
def set_config(
    caller: CallerDep, request: Request, name: str, body: schemas.ConfigSet
) -> schemas.ConfigWriteOut:
    """Set keys (``secret``: all of them as secrets), ``unset`` keys, or (``replace``) make
    ``values`` the whole config: one new version either way.

    ``"values": {}`` sets no key: it makes an empty config if ``name`` does not exist.
    """
    sets = "values" in body.model_fields_set or bool(body.values)
    if sets == bool(body.unset):
        raise InputError("send either 'values' to set or 'unset' to remove, not both or neither")
    if body.replace and not sets:
        raise InputError("'replace' goes with 'values' (the whole new config), not 'unset'")
    if body.plain and (body.secret or not sets):
        raise InputError("'plain' goes with plain 'values' (it makes secret keys plain)")
    before = _current_version(caller, name)
    details: dict[str, Any] = {"keys": sorted(body.values or body.unset), "secret": body.secret}
    if body.unset:
        result = configs.unset_keys(
            caller.store, name, body.unset, author=caller.name, message=body.message
        )
    elif body.replace:
        details["replace"] = True
        result = configs.replace_values(
            caller.store,
            name,
            _values(body),
            author=caller.name,
            message=body.message,
            plain=body.plain,
        )
    else:
        result = configs.set_values(
            caller.store,
            name,
            _values(body),
            author=caller.name,
            message=body.message,
            plain=body.plain,
        )
    if result.kept_secret:
        details["keptSecret"] = list(result.kept_secret)
    if result.made_plain:
        details["madePlain"] = list(result.made_plain)
    return _written(caller, request, result, before, "config.set", details)


@router.post("/{name}/rollback")
def rollback_config(
    caller: CallerDep, request: Request, name: str, body: schemas.ConfigRollback
) -> schemas.ConfigWriteOut:
    """A new version equal to ``version`` (nothing new if the latest already is)."""
    caller.config(name, "config.edit")
    current = caller.store.get_config(name)
    result = configs.rollback_config(
        caller.store, name, body.version, author=caller.name, message=body.message
    )
    changes = diff_configs(current.values, result.version.values)
    keys = sorted(c.key for c in (*changes.added, *changes.removed, *changes.changed))
    details = {"keys": keys, "rollbackTo": body.version}
    return _written(caller, request, result, current.version, "config.rollback", details)


def _current_version(caller: Caller, name: str) -> int | None:
    try:
        caller.config(name, "config.edit")
    except NotFoundError:
        _may_create(caller, name)
        return None
    return caller.store.get_config(name).version


def _may_create(caller: Caller, name: str) -> None:
    """A new config: the rule for configs no environment uses, in a config's words."""
    try:
        caller.template_writer()
    except ForbiddenError:
        raise ForbiddenError(
            f"creating config {name!r} needs an administrator or the deployer role on some "
            f"environment; {caller.name!r} has neither"
        ) from None


def _values(body: schemas.ConfigSet) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for key, value in body.values.items():
        check_key(key)
        if body.secret:
            if value is None:
                raise InputError(f"secret key {key!r} needs a text value, not null")
            out[key] = SecretValue(str(value))
        else:
            out[key] = value
    return out


def _written(
    caller: Caller,
    request: Request,
    result: configs.ConfigWrite,
    before: int | None,
    action: str,
    details: dict[str, Any],
) -> schemas.ConfigWriteOut:
    v = result.version
    triggered = []
    if result.created:
        auditing.record(
            caller.store,
            caller.name,
            action,
            kind="config",
            name=v.name,
            from_version=before,
            to_version=v.version,
            details=details,
        )
        found = after_config_change(caller.store, runner_of(request), v, author=caller.name)
        triggered = [convert.triggered(t) for t in found]
    return schemas.ConfigWriteOut(
        version=convert.config_version(v),
        created=result.created,
        triggered=triggered,
        kept_secret=list(result.kept_secret),
        made_plain=list(result.made_plain),
    )


def _may_view(caller: Caller, name: str) -> bool:
    try:
        caller.config(name, "view")
    except (NotFoundError, ForbiddenError):
        return False
    return True
