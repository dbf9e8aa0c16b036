"""Hints: what the user probably meant, said next to a plan or a deploy.

An application is pinned to a template version and (usually) a config version; saving a
new version of either changes nothing until ``app update`` points the application at it.
A plan that says "unchanged" right after ``config set`` surprises, so the plan says why
and what to run. Every front door (CLI, API, console) shows the same hints.
"""

from __future__ import annotations

from kapstan.actions.storeports import StateReads


def pinned_hints(store: StateReads, app: str) -> list[str]:
    """One hint per version the application lags behind (template, config); none if current."""
    application = store.get_application(app)
    newer: list[str] = []
    template = store.get_template(application.template).version
    if template > application.template_version:
        newer.append(
            f"template {application.template}@{template} (it uses @{application.template_version})"
        )
    if application.config_version is not None:
        config = store.get_config(application.config).version
        if config > application.config_version:
            newer.append(
                f"config {application.config}@{config} (it uses @{application.config_version})"
            )
    if not newer:
        return []
    return [
        f"application {app} is pinned to older versions; newer: {'; '.join(newer)}. "
        f"A deploy applies the pinned versions: run `kapstan app update {app}` to move to the "
        "latest, then deploy"
    ]
