from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapstan.errors import GraphError
from kapstan.plan.graph import Graph, check_graph, dependents, find_cycle, graph_of, waves
from kapstan.plan.graphviews import format_dot, format_mermaid, format_text
from kapstan.templates.parser import parse_template
from tests.unit.samples import GOLDEN, bookstore_files

SHOP = Graph(
    "shop",
    ("gateway", "catalog", "orders", "postgres", "redis", "mailer"),
    {
        "gateway": ("catalog", "orders"),
        "catalog": ("postgres",),
        "orders": ("postgres", "redis"),
        "mailer": (),
    },
    {"gateway": ("catalog", "orders"), "orders": ("catalog", "mailer"), "catalog": ("orders",)},
)


def graph(deps: dict[str, tuple[str, ...]]) -> Graph:
    return Graph("g", tuple(deps), deps, {})


@pytest.mark.parametrize(
    ("view", "golden"),
    [(format_text, "graph.txt"), (format_dot, "graph.dot"), (format_mermaid, "graph.mmd")],
)
def test_graph_views_golden(view, golden: str) -> None:  # type: ignore[no-untyped-def]
    assert view(SHOP) == (GOLDEN / golden).read_text()


def test_bookstore_text() -> None:
    assert format_text(graph_of(parse_template(bookstore_files()))) == (
        "bookstore: 3 services in 3 waves\n"
        "wave 1\n  postgres\n"
        "wave 2\n  catalog   (depends on: postgres; calls: postgres)\n"
        "wave 3\n  web       (depends on: catalog; calls: catalog)\n"
    )


def test_waves_group_independent_services() -> None:
    assert waves(SHOP) == [["mailer", "postgres", "redis"], ["catalog", "orders"], ["gateway"]]
    assert waves(graph({})) == []


@pytest.mark.parametrize(
    ("deps", "cycle"),
    [
        ({"a": ("b",), "b": ("c",), "c": ("a",)}, ["a", "b", "c", "a"]),
        ({"a": ("a",)}, ["a", "a"]),
        ({"x": ("a",), "a": ("b",), "b": ("a",)}, ["a", "b", "a"]),
        ({"a": ("b",), "b": ()}, None),
    ],
)
def test_find_cycle(deps: dict[str, tuple[str, ...]], cycle: list[str] | None) -> None:
    assert find_cycle(graph(deps)) == cycle


def test_cycle_errors_name_the_cycle() -> None:
    cyclic = graph({"a": ("b",), "b": ("c",), "c": ("a",)})
    with pytest.raises(GraphError, match=r"dependency cycle: a -> b -> c -> a"):
        waves(cyclic)
    with pytest.raises(
        GraphError, match=r"^kapstan.yaml: dependency cycle: a -> b -> c -> a; remove one dependsOn"
    ):
        check_graph(cyclic)


def test_calls_may_form_cycles() -> None:
    check_graph(Graph("g", ("a", "b"), {}, {"a": ("b",), "b": ("a",)}))


def test_unknown_service() -> None:
    with pytest.raises(
        GraphError, match=r"service 'a': dependsOn names unknown service 'c'; known services: a, b"
    ):
        check_graph(graph({"a": ("c",), "b": ()}))


def test_dependents() -> None:
    assert dependents(SHOP, "postgres") == ["catalog", "gateway", "orders"]
    assert dependents(SHOP, "gateway") == []


@st.composite
def dags(draw: st.DrawFn) -> Graph:
    count = draw(st.integers(min_value=0, max_value=12))
    names = [f"s{i}" for i in range(count)]
    deps = {
        name: tuple(draw(st.lists(st.sampled_from(names[:i]), unique=True)) if i else ())
        for i, name in enumerate(names)
    }
    order = draw(st.permutations(names))
    return Graph("g", tuple(order), deps, {})


@given(dags())
def test_waves_respect_depends_on(g: Graph) -> None:
    order = waves(g)
    position = {s: i for i, wave in enumerate(order) for s in wave}
    assert sorted(position) == sorted(g.services)
    for service, deps in g.depends_on.items():
        for dep in deps:
            assert position[dep] < position[service]
        # each service is as early as it can be
        assert position[service] == max((position[d] + 1 for d in deps), default=0)
