"""``check_kubeconfig`` on anything at all: it accepts, or raises InputError naming the file;
never a KeyError, TypeError or other traceback (issue 12, finding 8). ``load`` (what a deploy
uses on an environment's file) says ClusterError on the same inputs. No cluster needed."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kapstan.errors import ClusterError, InputError
from kapstan.kube.config import SECTIONS, check_kubeconfig, load

names = st.sampled_from(["c", "u", "ctx", "prod", ""]) | st.text(max_size=5)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | names
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=12,
)
# Shaped like a kubeconfig, with any part of it wrong, missing or of another type.
KEYS = st.sampled_from(["name", "cluster", "context", "user", "server", "namespace", "token"])
entry = st.dictionaries(
    KEYS, names | values | st.dictionaries(KEYS, names | values, max_size=3), max_size=4
)
kubeconfigs = st.fixed_dictionaries(
    {},
    optional={
        **{section: st.lists(entry, max_size=3) | values for section in SECTIONS},
        "current-context": names | values,
    },
)
texts = st.text(max_size=200) | st.binary(max_size=100).map(lambda b: b.decode("latin-1"))


def _check(content: str | bytes, context: str | None) -> str | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kubeconfig"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        try:
            return check_kubeconfig(path, context)
        except InputError as exc:
            assert str(path) in exc.message
            raise


@settings(max_examples=50, deadline=None)
@given(data=kubeconfigs | values, context=st.none() | names)
def test_any_mapping_is_accepted_or_named(data: Any, context: str | None) -> None:
    text = yaml.safe_dump(data)
    try:
        found = _check(text, context)
    except InputError:
        return
    assert found is None or found in {c["name"] for c in data["contexts"]}


@settings(max_examples=50, deadline=None)
@given(text=texts, raw=st.binary(max_size=64), context=st.none() | names)
def test_any_text_is_accepted_or_named(text: str, raw: bytes, context: str | None) -> None:
    for content in (text, raw):
        with contextlib.suppress(InputError):
            _check(content, context)


@settings(max_examples=50, deadline=None)
@given(data=kubeconfigs | values, context=st.none() | names)
def test_loading_any_mapping_gives_a_target_or_a_cluster_error(
    data: Any, context: str | None
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kubeconfig"
        path.write_text(yaml.safe_dump(data))
        with contextlib.suppress(ClusterError):
            assert load(path, context).kubeconfig == path
