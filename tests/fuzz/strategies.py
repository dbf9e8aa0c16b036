"""Hypothesis strategies for hostile input: YAML texts, templates, compose files, configs,
and API request bodies. Shared by the fuzz tests and ``scripts/adversarial_counts.py``.

Each strategy mixes plausible input (so the readers get past the first check) with the
known-bad classes: alias and merge bombs, deep nesting, wrong shapes (``manifests: 42``),
PyYAML's unbuildable scalars and tags, control characters and lone surrogates.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st

from tests.hostile import alias_lines, deep_block, deep_flow, merge_bomb

Text = st.SearchStrategy[str]

# Scalars PyYAML resolves or tags in ways that have broken readers.
TRICKY_SCALARS = [
    "0b_",
    "0x_",
    "0o_",
    "1_:2",
    "~",
    "null",
    "yes",
    "on",
    ".nan",
    "-.inf",
    "1e999",
    "99999999999999999999999",
    "2020-13-45",
    "!!timestamp 2020-13-45",
    "!!binary ===",
    "!!python/object/apply:os.system [echo]",
    "!!set {a, b}",
    "!!omap [{a: 1}]",
    "!!pairs [[a, 1]]",
    "!!float x",
    "!!int x",
    "!!bool maybe",
    "!!str",
    "!!map []",
    "!!seq {}",
    "!custom x",
    "*undefined",
    "&a",
    "<<: 1",
    "'",
    '"\\ud800"',
    '"\\x00"',
    "[",
    "{",
    "- -",
    ": :",
    "? a",
    "|",
    ">-",
    "%YAML 1.1",
    "---",
    "...",
    "\ufeff",
]
WEIRD_TEXT = st.text(
    st.characters(codec=None, exclude_categories=()) | st.sampled_from("\x00\x07\x1b\x85\ud800"),
    max_size=12,
)


def hostile_pieces() -> Text:
    """A YAML fragment (one value) that is hostile in one of the known ways."""
    return st.one_of(
        st.sampled_from(TRICKY_SCALARS),
        WEIRD_TEXT.map(lambda s: yaml.safe_dump(s, allow_unicode=True).strip().split("\n")[0]),
        st.builds(lambda n: deep_flow(n), st.integers(90, 3_000)),
        st.builds(
            lambda levels, width: (
                "{"
                + ", ".join(line.strip() for line in alias_lines(levels, width, indent=""))
                + "}"
            ),
            st.integers(1, 10),
            st.integers(2, 10),
        ),
        st.builds(lambda n: "[" + ", ".join(["&r [*r]"] * n) + "]", st.integers(1, 2)),
        st.just("{<<: [&m {k: v}, *m, *m]}"),
    )


def json_values(leaves: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[Any]:
    leaf = leaves or (
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=10)
        | st.sampled_from(TRICKY_SCALARS)
    )
    return st.recursive(
        leaf,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.text(max_size=8) | st.sampled_from(TRICKY_SCALARS), inner, max_size=4
            )
        ),
        max_leaves=20,
    )


@st.composite
def mutated(draw: st.DrawFn, base: Text) -> str:
    """``base`` with up to three edits: a hostile piece, a cut, or a random character."""
    text = draw(base)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["piece", "cut", "char"]))
        if edit == "piece":
            text = text[:at] + draw(hostile_pieces()) + text[at:]
        elif edit == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            text = text[:at] + draw(WEIRD_TEXT) + text[at:]
    return text


def dumped(values: st.SearchStrategy[Any]) -> Text:
    return st.builds(
        lambda v, flow: yaml.safe_dump(v, default_flow_style=flow, allow_unicode=True),
        values,
        st.sampled_from([None, True, False]),
    )


def yaml_texts(skeleton: st.SearchStrategy[Any]) -> Text:
    """YAML around ``skeleton`` data: dumped, with hostile values slotted in, or mutated."""
    with_pieces = st.builds(_slot, dumped(skeleton), st.lists(hostile_pieces(), max_size=3))
    whole = st.one_of(
        st.builds(lambda n: deep_block(n), st.integers(90, 1_100)),
        st.builds(merge_bomb, st.integers(1, 9), st.integers(2, 9)),
        st.builds(lambda n: "---\n" * n, st.integers(990, 1_010)),
    )
    plain = dumped(skeleton)
    # Mostly readable YAML, so inputs get past the parser into the shape checks.
    return st.one_of(plain, plain, plain, with_pieces, with_pieces, mutated(plain), whole)


def _slot(text: str, pieces: list[str]) -> str:
    """Replace the first scalar values after ': ' with hostile pieces."""
    for piece in pieces:
        head, sep, tail = text.partition(": ")
        if not sep:
            break
        rest = tail.split("\n", 1)
        text = head + sep + piece + ("\n" + rest[1] if len(rest) > 1 else "")
    return text


# --- templates --------------------------------------------------------------------------------

MANIFEST = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "cm"},
    "data": {"k": "${some.key:-v}"},
}


def manifest_data() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {
            "apiVersion": st.one_of(st.just("v1"), st.just("v1"), json_values()),
            "kind": st.one_of(st.just("ConfigMap"), st.just("ConfigMap"), json_values()),
            "metadata": st.fixed_dictionaries(
                {"name": st.one_of(st.just("cm"), st.just("cm"), json_values())}
            ),
        },
        optional={"data": json_values(), "spec": json_values()},
    )


def service_spec() -> st.SearchStrategy[Any]:
    field = json_values()
    manifests = st.sampled_from(["cm.yaml", ["cm.yaml"], "*.yaml"])
    return st.fixed_dictionaries(
        {"manifests": st.one_of(manifests, manifests, field)},
        optional={
            key: field
            for key in (
                "dependsOn",
                "calls",
                "env",
                "files",
                "filesPath",
                "strategy",
                "blueGreen",
                "autoscaling",
                "expose",
            )
        },
    )


def kapstan_yaml_data() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {
            "name": st.one_of(st.just("fuzz"), st.just("fuzz"), json_values()),
            "services": st.one_of(
                st.dictionaries(
                    st.sampled_from(["web", "db", "Bad_Name", ""]),
                    service_spec(),
                    min_size=1,
                    max_size=2,
                ),
                st.dictionaries(st.just("web"), service_spec(), min_size=1),
                json_values(),
            ),
        },
        optional={"config": json_values()},
    )


def template_files() -> st.SearchStrategy[dict[str, str]]:
    """A template's content: kapstan.yaml and cm.yaml, either or both hostile."""
    return st.fixed_dictionaries(
        {
            "kapstan.yaml": yaml_texts(kapstan_yaml_data()),
            "cm.yaml": yaml_texts(manifest_data()),
        }
    )


# --- configs and compose ----------------------------------------------------------------------


def config_texts() -> Text:
    flat = st.dictionaries(st.text(max_size=10), json_values(), max_size=5)
    return yaml_texts(flat)


def compose_data() -> st.SearchStrategy[Any]:
    value = json_values()
    service = st.dictionaries(
        st.sampled_from(
            [
                "image",
                "command",
                "entrypoint",
                "environment",
                "env_file",
                "ports",
                "expose",
                "volumes",
                "depends_on",
                "healthcheck",
                "deploy",
                "restart",
                "working_dir",
                "user",
                "build",
                "tmpfs",
                "pull_policy",
                "cpus",
                "mem_limit",
                "stop_grace_period",
                "labels",
                "x-other",
            ]
        ),
        value,
        max_size=5,
    )
    return st.fixed_dictionaries(
        {
            "services": st.dictionaries(
                st.sampled_from(["web", "db", "Web_1"]), service, max_size=2
            )
            | value
        },
        optional={"volumes": value, "name": value, "networks": value, "x-common": value},
    )


def compose_texts() -> Text:
    return yaml_texts(compose_data())


# --- API bodies -------------------------------------------------------------------------------


def api_requests() -> st.SearchStrategy[tuple[str, str, Any]]:
    """(method, path, JSON body) for the writing endpoints, with hostile bodies."""
    body = json_values()
    template_body = st.fixed_dictionaries(
        {"name": st.just("fuzz") | json_values(), "files": template_files() | json_values()},
        optional={"message": json_values()},
    )
    keys = st.sampled_from(["a", "b.c", "api.replicas", "bad key", ""]) | st.text(max_size=8)
    scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=10)
    config_body = st.fixed_dictionaries(
        {
            "values": st.one_of(
                st.dictionaries(keys, scalars, max_size=4),
                st.dictionaries(keys, json_values(), max_size=4),
                body,
            )
        },
        optional={"secret": body, "unset": body, "replace": body, "message": body},
    )
    env_body = st.fixed_dictionaries(
        {
            "name": st.sampled_from(["fz", "Bad Name", ""]) | body,
            "namespace": st.just("ns-fz") | body,
            "kubeconfig": st.just("/nonexistent/kubeconfig") | body,
        },
        optional={
            "config": body,
            "context": body,
            "allowed_namespaces": body,
            "allowed_kinds": body,
            "impersonate": body,
            "shared": body,
        },
    )
    deploy_body = st.fixed_dictionaries(
        {"services": body},
        optional={"atomic": body, "timeout": body, "force": body, "message": body, "adopt": body},
    )
    return st.one_of(
        st.tuples(st.just("POST"), st.just("/api/v1/templates"), template_body),
        st.tuples(st.just("POST"), st.just("/api/v1/configs/dev/values"), config_body),
        st.tuples(st.just("POST"), st.just("/api/v1/configs/fuzz/values"), config_body),
        st.tuples(st.just("POST"), st.just("/api/v1/environments"), env_body),
        st.tuples(st.just("POST"), st.just("/api/v1/applications/shop/deploy"), deploy_body),
        st.tuples(st.just("POST"), st.just("/api/v1/applications"), body),
    )
