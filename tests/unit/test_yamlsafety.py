"""The limits on every YAML text (kapstan.render.yamlsafety): refused early, by name."""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kapstan.errors import TemplateError
from kapstan.render.manifests import compile_file
from kapstan.render.yamlnodes import iter_documents, load_data, parse_scalar_text
from kapstan.render.yamlsafety import Limits, compose_documents, json_too_deep
from tests.hostile import alias_bomb_manifest, alias_lines, deep_block, deep_flow, deep_manifest

ROOT = Path(__file__).parents[2]
KUBECONFIG = "kapstan/kube/config.py"


def refusal(text: str, file: str = "f.yaml") -> str:
    with pytest.raises(TemplateError) as caught:
        load_data(text, file)
    return caught.value.message


def test_the_alias_bomb_is_refused_naming_file_line_and_the_limit() -> None:
    text = alias_bomb_manifest(levels=9)  # 9**9 nodes expanded, ~600 bytes written
    with pytest.raises(TemplateError) as caught:
        compile_file(text, "bomb.yaml")
    message = caught.value.message
    assert re.match(r"bomb\.yaml:\d+:\d+: aliases \(\*name\) expand this YAML", message)
    assert "at most 500000" in message and "write the repeated content out" in message


def test_a_small_alias_expansion_is_refused_by_its_ratio_to_the_text() -> None:
    """5 levels (~60,000 nodes) fit under the absolute cap but not 10x the text."""
    assert "aliases (*name) expand" in refusal(alias_bomb_manifest(levels=5))


def test_aliases_used_the_usual_way_are_read() -> None:
    text = (
        "x-common: &common {restart: always, environment: {A: '1', B: '2'}}\n"
        "services:\n" + "".join(f"  s{i}:\n    <<: *common\n    image: img{i}\n" for i in range(30))
    )
    [data] = load_data(text, "compose.yaml")
    assert data["services"]["s29"] == {
        "restart": "always",
        "environment": {"A": "1", "B": "2"},
        "image": "img29",
    }


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (deep_flow(101), "f.yaml:1:101: nested more than 100 levels deep"),
        (deep_flow(500_000), "f.yaml:1:101: nested more than 100 levels deep"),
        (deep_block(150), "f.yaml:101:101: nested more than 100 levels deep"),
        ("&a [*a]", "f.yaml:1:5: alias *a is inside the node it names"),
        ("a: *b", "f.yaml:1:4: YAML syntax error: alias *b names no anchor"),
        ("a: &x 1\nb: &x 2\n", "f.yaml:2:4: YAML syntax error: duplicate anchor &x"),
        ("a: 1\nb: \x07\n", "f.yaml:2: character #x0007 is not allowed"),
        ("a: 1\nb: \ud800\n", "f.yaml:2: not valid Unicode text"),
        ("a: 1\n" * 300_000, "f.yaml: 1500000 bytes of YAML; the limit for one file is"),
        ("---\n" * 1001, "f.yaml: more than 1000 YAML documents"),
    ],
)
def test_each_limit_is_refused_by_name(text: str, says: str) -> None:
    assert refusal(text).startswith(says)


def test_within_the_depth_limit_is_read() -> None:
    assert load_data(deep_flow(100), "f.yaml")
    assert compile_file(deep_manifest(90), "m.yaml")


@pytest.mark.parametrize("text", ["0b_", "0x_"])
def test_a_number_that_is_not_one_stays_text(text: str) -> None:
    """PyYAML resolves ``0b_`` as an int and then fails to build it (ValueError)."""
    assert load_data(f"v: {text}", "f.yaml") == [{"v": text}]
    assert parse_scalar_text(text) == text


def test_a_hostile_config_value_is_plain_text() -> None:
    assert parse_scalar_text(deep_flow(200_000)) == deep_flow(200_000)
    bomb = alias_bomb_manifest()
    assert parse_scalar_text(bomb) == bomb


def _same_nodes(a: yaml.Node, b: yaml.Node) -> None:
    assert (type(a), a.tag, a.start_mark.line, a.start_mark.column) == (
        type(b),
        b.tag,
        b.start_mark.line,
        b.start_mark.column,
    )
    assert (a.end_mark.line, a.end_mark.column) == (b.end_mark.line, b.end_mark.column)
    if isinstance(a, yaml.ScalarNode) and isinstance(b, yaml.ScalarNode):  # same type, above
        assert (a.value, a.style) == (b.value, b.style)
        return
    assert isinstance(a, yaml.CollectionNode) and isinstance(b, yaml.CollectionNode)
    assert len(a.value) == len(b.value) and a.flow_style == b.flow_style
    if isinstance(a, yaml.SequenceNode):
        for x, y in zip(a.value, b.value, strict=True):
            _same_nodes(x, y)
    else:
        for (k1, v1), (k2, v2) in zip(a.value, b.value, strict=True):
            _same_nodes(k1, k2)
            _same_nodes(v1, v2)


def _c_nodes(text: str) -> list[yaml.Node]:
    loader = yaml.CSafeLoader(text)
    try:
        out: list[yaml.Node] = []
        while loader.check_node():
            out.append(cast(yaml.Node, loader.get_node()))  # check_node: there is one
        return out
    finally:
        loader.dispose()


def test_nodes_equal_pyyaml_c_composer_on_every_yaml_file_of_the_repository() -> None:
    """Tags, values, styles and every line:column as before: errors point at the same place."""
    files = [p for p in (ROOT / "tests").rglob("*.y*ml")] + list((ROOT / "kapstan").rglob("*.y*ml"))
    compared = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            expected = _c_nodes(text)
        except yaml.YAMLError:
            continue
        got = [node for _, _, node in compose_documents(text, str(path))]
        assert len(got) == len(expected), path
        for a, b in zip(expected, got, strict=True):
            assert b is not None
            _same_nodes(a, b)
        compared += 1
    assert compared > 50


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=50, deadline=None)
@given(yaml_values, st.sampled_from([None, True, False]))
def test_what_pyyaml_dumps_reads_back_the_same_as_its_c_composer(
    value: object, flow: bool | None
) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow)
    got = [node for _, _, node in compose_documents(text, "v.yaml")]
    for a, b in zip(_c_nodes(text), got, strict=True):
        assert b is not None
        _same_nodes(a, b)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 12), st.integers(2, 12), st.integers(0, 40))
def test_an_alias_pyramid_is_read_exactly_when_its_expansion_fits(
    levels: int, width: int, padding: int
) -> None:
    """Refused iff expanded > min(max_nodes, max(floor, factor x written)), never expanded."""
    limits = Limits(max_nodes=20_000, alias_floor=2_000, alias_factor=10)
    text = "\n".join(alias_lines(levels, width, indent="")) + "\n"
    text += "".join(f"p{i}: 1\n" for i in range(padding))
    sizes = [2]  # a0: a list holding one scalar
    for _ in range(levels):
        sizes.append(1 + width * sizes[-1])
    expanded = 1 + sum(1 + size for size in sizes) + 2 * padding  # root, keys, values
    written = 1 + 3 + levels * (2 + width) + 2 * padding
    allowed = min(limits.max_nodes, max(limits.alias_floor, limits.alias_factor * written))
    try:
        list(iter_documents(text, "p.yaml", limits))
    except TemplateError as err:
        assert "aliases (*name) expand" in err.message
        assert expanded > allowed
        return
    assert expanded <= allowed


@pytest.mark.parametrize(
    ("body", "limit", "deep"),
    [
        (b'{"a": [[[1]]]}', 4, False),
        (b'{"a": [[[1]]]}', 3, True),
        (b'{"a": "[[[[[[[[[[[[[[[[[["}', 2, False),  # brackets inside a string do not count
        (b'{"a": "\\"[[[[[[[[[["}', 2, False),  # nor after an escaped quote
        (b"[" * 200_000, 100, True),
        (b"[]" * 200_000, 100, False),
    ],
)
def test_json_depth_is_counted_without_parsing(body: bytes, limit: int, deep: bool) -> None:
    assert json_too_deep(body, limit) is deep


def test_every_yaml_read_of_kapstan_goes_through_the_bounded_composer() -> None:
    """No module but yamlsafety builds a PyYAML loader or calls its load functions.

    The kubeconfig check too: lightkube reads the file itself afterwards, so the check
    before it is what keeps an alias bomb from expanding.
    """
    pattern = re.compile(
        r"yaml\.(safe_load|load|full_load|unsafe_load|compose|CSafeLoader\(|SafeLoader\(|CLoader)"
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "kapstan").rglob("*.py")
        if path.name != "yamlsafety.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
