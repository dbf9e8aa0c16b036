"""Running Graphviz's ``dot`` to lay out the dependency-graph picture (the adapter).

Everything around the run is pure (``kapstan.web.graphlayout``: DOT in, JSON read back);
this module only finds the binary, feeds it, and bounds the wait. Graphviz comes from the
Debian package ``graphviz`` (scripts/setup.sh), so the console needs no network and no
JavaScript to draw the picture.
"""

from __future__ import annotations

import shutil
import subprocess

from kapstan.errors import LayoutError
from kapstan.plan.graph import Graph
from kapstan.web.graphlayout import Layout, dot_source, read_dot_json

DOT_TIMEOUT = 10.0  # seconds; hundreds of services take well under one


def dot_layout(graph: Graph, binary: str = "dot", timeout: float = DOT_TIMEOUT) -> Layout:
    """``graph`` laid out by dot; LayoutError if dot is missing, fails or takes too long."""
    path = shutil.which(binary)
    if path is None:
        raise LayoutError(
            f"Graphviz is not installed ({binary!r} is not on PATH): the graph is drawn with "
            "straight lines; install the Debian package graphviz (scripts/setup.sh does)"
        )
    try:
        done = subprocess.run(
            [path, "-Tjson"],
            input=dot_source(graph),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise LayoutError(
            f"Graphviz ({path}) took over {timeout:g}s to lay out {graph.name!r}"
        ) from None
    if done.returncode != 0:
        why = done.stderr.strip() or f"exit code {done.returncode}"
        raise LayoutError(f"Graphviz ({path}) could not lay out {graph.name!r}: {why}")
    return read_dot_json(graph, done.stdout)
