"""Value types of the core (frozen dataclasses; no I/O).

- ``values``: ``SecretValue``, ``Scalar``, ``Value``, ``display``, ``REDACTED``
- ``template``: ``Template``, ``ServiceSpec``, ``EnvBinding``, ``FileBinding``
- ``manifest``: compiled manifests (``Document``, ``Slot``, ``Placeholder``)
- ``config``: ``ConfigVersion``;  ``application``: ``Environment``, ``Application``
- ``rendered``: ``RenderedApp``, ``RenderedService``, ``KubeObject``
- ``revision``: ``Revision``;  ``changes``: ``ServiceChange``
"""
