"""The render layer (pure): placeholders, variable extraction, rendering, hashing.

Public API:

- ``render.render_app(template, values, *, app, namespace, hash_key) -> RenderedApp``
  (``hash_key``: the store's ``checksum_key()``, None without a secret key; VariableError lists every undefined key / misfit at once; TemplateError for a
  resource declared in two services)
- ``variables.extract_variables(template) -> list[Variable]`` (key, default, uses);
  ``variables.default_config(template) -> dict[str, Scalar]``
- ``hashing.service_yaml(rendered_service) -> str`` (redacted YAML, for revisions);
  ``hashing.objects_yaml(objects, redact=True)``; ``hashing.content_hash(objects, key=...)``
- ``redaction.redact_objects(objects)``
- ``labels.stamp_objects(objects, *, template_version, config_version, revision, content_hash,
  environment="")`` for the apply step (after hashing; rendered content carries no version
  numbers, nor the environment's name)
- ``placeholders.parse / escape / is_key``

Rules worth knowing:

- ``${key}`` written plain (unquoted) as a whole scalar keeps the value's type; quoted
  (``"${key}"``) or inside longer text it is text. ``${k:-3}`` reads its default as a
  YAML scalar when whole. ``$${`` writes a literal ``${``.
- Well-known integer/boolean fields (``kapstan.render.fields``) must receive a fitting
  value; strings that spell one are converted.
- Secret values cannot fill placeholders, except inside a Secret's ``stringData``; they
  reach pods through a service's ``env``/``files`` (a generated Secret) or such a Secret,
  and are redacted in every text output.
- Built-in keys (``kapstan.render.builtins``): ``${kapstan.namespace}`` is the environment's
  namespace; a value ``kapstan:generate`` renders as a secret derived per app and namespace.
"""
