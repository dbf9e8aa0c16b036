"""The API's JSON answers -> the records the CLI prints, so output is the same either way.

Each answer is first validated by its response model (``kapstan.schemas``, the one
description of the wire format); a server that answers something else raises
``ServerError``. Secret values arrive as ``<redacted>`` and stay that way: they are
rebuilt as ``SecretValue(REDACTED)``, which prints exactly as a local secret does.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kapstan import schemas as s
from kapstan.client.http import ServerError
from kapstan.model.operation import Operation, OperationEvent, ServiceState, Step
from kapstan.model.records import (
    Application,
    ConfigVersion,
    Environment,
    Revision,
    TemplateVersion,
)
from kapstan.model.values import REDACTED, SecretValue, Value

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any) -> M:
    """``data`` as ``model``; ServerError naming what did not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ServerError(
            f"the server's answer is not a {model.__name__}: {exc.errors()[0].get('msg')}; "
            "are the CLI and the server the same Kapstan version?"
        ) from exc


def split_ref(text: str) -> tuple[str, int]:
    """``name@3`` -> ("name", 3), as the API writes versions of revisions."""
    name, _, version = text.rpartition("@")
    return name, int(version)


def template_version(data: Any) -> TemplateVersion:
    v = parse(s.TemplateVersionOut, data)
    return TemplateVersion(
        name=v.name,
        version=v.version,
        files={},
        digest=v.digest,
        author=v.author,
        message=v.message,
        created_at=v.created_at,
    )


def config_version(data: Any) -> ConfigVersion:
    """A config version with its values (``ConfigOut``); secrets stay redacted."""
    full = parse(s.ConfigOut, data)
    secrets = set(full.secret_keys)
    values: dict[str, Value] = {
        k: SecretValue(REDACTED) if k in secrets else v for k, v in full.values.items()
    }
    return ConfigVersion(
        name=full.name,
        version=full.version,
        values=values,
        author=full.author,
        message=full.message,
        created_at=full.created_at,
    )


def environment(data: Any) -> Environment:
    e = parse(s.EnvironmentOut, data)
    return Environment(
        name=e.name,
        kubeconfig=e.kubeconfig,
        context=e.context,
        namespace=e.namespace,
        config=e.config,
        created_at=e.created_at,
        requires_approval=e.requires_approval,
        allowed_namespaces=tuple(e.allowed_namespaces),
        allowed_kinds=tuple(e.allowed_kinds),
        impersonate=e.impersonate,
        shared=e.shared,
        namespace_created=e.namespace_created,
        cluster=e.cluster,
        self_heal=e.self_heal,
    )


def application(data: Any) -> Application:
    a = parse(s.ApplicationOut, data)
    return Application(
        name=a.name,
        template=a.template,
        template_version=a.template_version,
        environment=a.environment,
        config=a.config,
        config_version=a.config_version,
        created_at=a.created_at,
        updated_at=a.updated_at,
    )


def revision(data: Any, app: str) -> Revision:
    r = parse(s.RevisionOut, data)
    template, template_v = split_ref(r.template)
    config, config_v = split_ref(r.config)
    return Revision(
        app=app,
        service=r.service,
        number=r.revision,
        manifests="",
        hash=r.hash,
        template=template,
        template_version=template_v,
        config=config,
        config_version=config_v,
        author=r.author,
        message=r.message,
        status=r.status,
        created_at=r.created_at,
        operation_id=r.operation_id,
    )


def operation_event(data: Any) -> OperationEvent:
    e = parse(s.EventOut, data)
    return OperationEvent(
        at=e.at, status=e.status, message=e.message, service=e.service, resource=e.resource
    )


def operation(data: Any) -> Operation:
    op = parse(s.OperationOut, data)
    return Operation(
        id=op.id,
        app=op.app,
        kind=op.kind,
        status=Step(op.status),
        author=op.author,
        started_at=op.started_at,
        finished_at=op.finished_at,
        message=op.message,
        services=tuple(
            ServiceState(x.service, Step(x.step), x.message, x.revision) for x in op.services
        ),
        events=tuple(
            OperationEvent(
                at=e.at, status=e.status, message=e.message, service=e.service, resource=e.resource
            )
            for e in op.events
        ),
    )
