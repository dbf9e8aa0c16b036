"""Value types of the core: templates, configs, environments, applications, revisions.

Frozen dataclasses only; no I/O.
"""
