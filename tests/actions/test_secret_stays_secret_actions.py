"""Searching for a door that turns a secret plain (issue 12, #6): any scalar, written by any
config verb without ``plain``, leaves a secret key secret; the store refuses a caller that
skips the verbs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstan.actions import configs
from kapstan.errors import InputError
from kapstan.model.values import SecretValue
from kapstan.store import Store

SCALARS = (
    st.text(min_size=1, max_size=20)
    | st.integers(-(10**6), 10**6)
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
)
DOORS = ("set", "replace", "import", "import-replace")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=SCALARS, door=st.sampled_from(DOORS))
def test_no_config_verb_turns_a_secret_plain(
    store: Store, tmp_path: Path, value: str | int | bool | float, door: str
) -> None:
    if not store.list_configs():
        configs.set_values(store, "c", {"k": SecretValue("s"), "other": 1}, author="a")
    given_values = {"k": value, "other": 1}
    if door == "set":
        configs.set_values(store, "c", given_values, author="a")
    elif door == "replace":
        configs.replace_values(store, "c", given_values, author="a")
    else:
        file = tmp_path / "values.yaml"
        file.write_text(yaml.safe_dump(given_values))
        configs.import_config(store, "c", file, author="a", replace=door == "import-replace")
    assert isinstance(store.get_config("c").values["k"], SecretValue)


def test_the_store_refuses_a_plain_value_over_a_secret_unless_made_plain(store: Store) -> None:
    store.create_config("c", {"k": SecretValue("s")}, author="a")
    with pytest.raises(InputError, match=r"'k' are secret in version 1.*--plain"):
        store.add_config_version("c", {"k": "plain"}, author="a")
    made = store.add_config_version("c", {"k": "plain"}, author="a", made_plain=["k"])
    assert made.values == {"k": "plain"}


def test_rollback_to_a_plain_version_is_audited_as_made_plain(store: Store) -> None:
    store.create_config("c", {"k": "was-plain"}, author="a")
    configs.set_values(store, "c", {"k": SecretValue("s")}, author="a")
    back = configs.rollback_config(store, "c", 1, author="b")
    assert back.made_plain == ("k",) and store.get_config("c").values == {"k": "was-plain"}
    (entry,) = [e for e in store.list_audit() if e.action == "config.plain"]
    assert (entry.actor, entry.details) == ("b", {"keys": ["k"]})
