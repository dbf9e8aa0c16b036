"""The app market: catalogs of ready templates, shown and installed in one step.

A *catalog* is a directory holding one template directory per entry (``<name>/kapstan.yaml``
plus its manifests and a ``README.md`` documenting its config keys). Kapstan ships one, the
built-in catalog ``kapstan`` (``kapstan/market/catalog/``); more are registered with
``kapstan market add NAME PATH|GIT_URL`` (a git repository is cloned into the cache).

Descriptions live outside ``kapstan.yaml`` (which accepts only name, services and config):
a catalog may hold an index, ``market.yaml``::

    templates:
      postgresql:
        description: PostgreSQL database with a persistent volume
        secrets: [postgresql.password]   # generated at install unless the user sets them

A template missing from the index (or a catalog without one) is still listed; its
description is the first line of its ``README.md``.

- ``index``      parsing market.yaml and README summaries              (pure)
- ``catalogs``   catalogs and the templates they hold                  (reads directories)
- ``sources``    cloning a catalog's git repository with ``git``       (runs git)
- ``registry``   the registered catalogs, kept in ``markets.json``     (reads/writes files)
- ``catalog``    the facade: list, show, add, remove

Installing a template (template version, config, application) is an action:
``kapstan.actions.install``.
"""
