"""Value types of the core (frozen dataclasses; no I/O).

- ``values``: ``SecretValue``, ``Scalar``, ``Value``, ``display``, ``REDACTED``
- ``template``: ``Template``, ``ServiceSpec``, ``EnvBinding``, ``FileBinding``
- ``manifest``: compiled manifests (``Document``, ``Slot``, ``Placeholder``)
- ``records``: what the store keeps and the API sends: ``TemplateVersion``, ``ConfigVersion``,
  ``Environment``, ``Application``, ``Revision``, users, tokens, audit entries, approvals
- ``rendered``: ``RenderedApp``, ``RenderedService``, ``KubeObject``
- ``changes``: ``ServiceChange``
"""
