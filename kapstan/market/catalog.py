"""The market's face: list the catalogs' templates, show one, add or remove catalogs.
``paths`` (default: from the environment) says where registrations live. Installing one is
an action: ``kapstan.actions.install``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kapstan.market import registry
from kapstan.market.catalogs import (
    Catalog,
    MarketTemplate,
    builtin_catalog,
    find_template,
    read_readme,
    templates_of,
)
from kapstan.market.registry import MarketPaths
from kapstan.model.template import Template
from kapstan.plan.graph import Graph, graph_of
from kapstan.render.variables import Variable, extract_variables
from kapstan.templates.loader import load_template_dir

__all__ = [
    "Catalog",
    "MarketPaths",
    "MarketTemplate",
    "TemplateInfo",
    "add_catalog",
    "all_catalogs",
    "list_templates",
    "remove_catalog",
    "show_template",
    "templates_of",
]


@dataclass(frozen=True)
class TemplateInfo:
    """A market template, parsed: its services, dependency graph, config keys and README."""

    entry: MarketTemplate
    template: Template
    graph: Graph
    variables: tuple[Variable, ...]
    readme: str


def all_catalogs(paths: MarketPaths | None = None) -> list[Catalog]:
    """The built-in catalog first, then the registered ones in the order they were added."""
    return [builtin_catalog(), *registry.registered_catalogs(paths or MarketPaths.from_env())]


def list_templates(paths: MarketPaths | None = None) -> list[MarketTemplate]:
    """Every template of every catalog, catalog by catalog."""
    return [t for c in all_catalogs(paths) for t in templates_of(c)]


def show_template(name: str, paths: MarketPaths | None = None) -> TemplateInfo:
    """``NAME`` or ``CATALOG/NAME``, parsed (every check of ``kapstan template import``)."""
    entry = find_template(name, all_catalogs(paths))
    template = load_template_dir(entry.path)
    readme = read_readme(entry.path)
    return TemplateInfo(
        entry, template, graph_of(template), tuple(extract_variables(template)), readme
    )


def add_catalog(name: str, source: str, paths: MarketPaths | None = None) -> Catalog:
    """Register a directory of templates, or clone a git repository of them, as ``name``."""
    return registry.add_catalog(paths or MarketPaths.from_env(), name, source)


def remove_catalog(name: str, paths: MarketPaths | None = None) -> Catalog:
    return registry.remove_catalog(paths or MarketPaths.from_env(), name)
