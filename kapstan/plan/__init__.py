"""The plan layer (pure): dependency graph, change detection, diffs.

Public API:

- ``graph.graph_of(template) -> Graph``; ``graph.check_graph(graph)`` (GraphError);
  ``graph.find_cycle(graph) -> list[str] | None``; ``graph.waves(graph) -> list[list[str]]``;
  ``graph.dependents(graph, service) -> list[str]``
- ``graphviews.format_text(graph)``, ``format_dot(graph)``, ``format_mermaid(graph)`` -> str
- ``changes.detect_changes(old: RenderedApp | None, new: RenderedApp) -> list[ServiceChange]``
- ``diffs.unified_diff(old_yaml, new_yaml, *, old_label, new_label) -> str``;
  ``diffs.unified_diff_objects(old_objs, new_objs)``;
  ``diffs.structured_diff(old_objs, new_objs) -> list[ResourceChange]``;
  ``diffs.format_structured(changes) -> str``; ``diffs.redact_objects(objs)``
- ``configdiff.diff_configs(old, new) -> ConfigDiff``; ``configdiff.format_config_diff(diff) -> str``
"""
