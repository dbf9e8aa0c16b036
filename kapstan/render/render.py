"""Rendering an application: a Template + values -> per-service objects and hashes. Pure.

Values: the template's ``config:`` block, overridden by ``values`` (the config
version); a placeholder's own default applies when neither has the key.

The pipeline per service: fill slots -> config delivery (ConfigMap/Secret + wiring)
-> labels and namespace -> content hash. Every undefined key and misfit of the whole
app is gathered first and raised as one VariableError; duplicate resources across
services are a TemplateError naming both services.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kapstan.errors import InputError
from kapstan.model.rendered import KubeObject, RenderedApp, RenderedService
from kapstan.model.template import ServiceSpec, Template
from kapstan.model.values import Value
from kapstan.render.configdelivery import plan_delivery, wire
from kapstan.render.hashing import content_hash
from kapstan.render.labels import label
from kapstan.render.resources import ResourceKey, check_duplicates, key_of
from kapstan.render.substitute import Problems, fill

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")


@dataclass(frozen=True)
class _Context:
    values: Mapping[str, Value]
    template: str
    app: str
    namespace: str
    hash_key: bytes


def render_app(
    template: Template,
    values: Mapping[str, Value],
    *,
    app: str,
    namespace: str,
    hash_key: bytes = b"",
) -> RenderedApp:
    """Render every service of ``template`` for application ``app`` in ``namespace``.

    ``hash_key`` keys the digests of secret values inside content hashes and config
    checksums (HMAC); pass a stable key derived from the store's secret key in
    production so stored hashes reveal nothing about weak secrets. Equal input and
    key give equal hashes.
    """
    for what, name in (("application name", app), ("namespace", namespace)):
        if not _DNS_LABEL.match(name):
            raise InputError(
                f"{what} {name!r} must be a DNS label (lowercase letters, digits, '-', at most 63)"
            )
    effective: Mapping[str, Value] = {**template.config, **values} if template.config else values
    context = _Context(effective, template.name, app, namespace, hash_key)
    problems = Problems()
    drafts = [_render_service(spec, context, problems) for spec in template.services.values()]
    problems.raise_if_any()
    check_duplicates(_owned(drafts))
    return RenderedApp(app, namespace, template.name, {d[0].name: d[0] for d in drafts})


def _render_service(
    spec: ServiceSpec, context: _Context, problems: Problems
) -> tuple[RenderedService, list[str]]:
    used: dict[str, Value] = {}
    values = context.values
    objects: list[KubeObject] = [
        fill(doc, values, spec.name, problems, used) for doc in spec.documents
    ]
    wheres = [doc.where for doc in spec.documents]
    delivery = plan_delivery(
        spec,
        values,
        app=context.app,
        namespace=context.namespace,
        problems=problems,
        used=used,
        hash_key=context.hash_key,
    )
    if delivery is not None:
        for obj in objects:
            wire(obj, delivery)
        objects = [*delivery.objects, *objects]
        wheres = [f"generated for {spec.name}"] * len(delivery.objects) + wheres
    for obj in objects:
        label(
            obj,
            app=context.app,
            service=spec.name,
            template=context.template,
            namespace=context.namespace,
        )
    digest = content_hash(objects, key=context.hash_key)
    return RenderedService(spec.name, tuple(objects), digest, used, spec.sources), wheres


def _owned(
    drafts: list[tuple[RenderedService, list[str]]],
) -> Iterable[tuple[str, str, ResourceKey]]:
    for service, wheres in drafts:
        for obj, where in zip(service.objects, wheres, strict=True):
            yield service.name, where, key_of(obj)
