"""The log-rules endpoints in process, without a cluster (nothing deployed: no collector
to apply, so the cluster is never asked): a bad rule is a 422 naming the rule and field,
rules are stored and read back with the warning that they select nothing, the
environment's admins alone set them, and every change is audited."""

from __future__ import annotations

from kapstan.actions.logrules import show_rules
from tests.api.conftest import Api

RULES = "/api/v1/environments/dev/log-rules"
RULE = {"name": "errors", "services": ["web"], "to": {"loki": {"endpoint": "http://l:3100"}}}


def test_log_rules_set_read_and_cleared_through_the_api(api: Api) -> None:
    bad = api.put(RULES, {"rules": [{**RULE, "include": ["(?!x)"]}]})
    assert bad.status_code == 422, bad.text
    assert "log rules #1: log rule 'errors': field 'include'" in bad.json()["error"]["message"]

    assert api.put(RULES, {"rules": [RULE]}, user="dana").status_code == 403

    done = api.put(RULES, {"rules": [RULE]})
    assert done.status_code == 200, done.text
    answer = done.json()
    assert answer["rules"] == [RULE]
    assert answer["applied"] == [] and answer["config"] == ""
    assert answer["warnings"] == ["log rule 'errors': web selects no deployed service"]
    assert [r.name for r in show_rules(api.store, "dev").rules] == ["errors"]
    assert api.get(RULES, user="vic").json()["rules"] == [RULE]
    assert api.audit("environment.log-rules")

    cleared = api.delete(RULES)
    assert cleared.status_code == 200 and cleared.json()["rules"] == []
