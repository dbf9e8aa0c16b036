"""``POST /api/v1/templates`` with bad file names or a name that is not kapstan.yaml's
(#12 findings 5 and 9b): a 422 naming the file or both names, and no row written.
"""

from __future__ import annotations

import pytest

from tests.api import samples
from tests.api.conftest import Api

BAD_FILE_NAMES = {
    "x\x00.yaml": "'x\\x00.yaml': file name holds control character U+0000",
    "x\x07.yaml": "'x\\x07.yaml': file name holds control character U+0007",
    "line\nbreak.yaml": "control character U+000A",
    "rtl\u202egnp.yaml": "control character U+202E",
    "../up.yaml": "../up.yaml: template paths must be relative",
    "a/../../up.yaml": "a/../../up.yaml: template paths must be relative",
    "/etc/passwd": "/etc/passwd: template paths must be relative",
    "a\\b.yaml": "backslashes are refused",
    "": "not empty",
    "a" * 300: "longer than 255 bytes",
}


def _versions(api: Api) -> list[int]:
    return [v.version for v in api.store.template_history("shop")]


@pytest.mark.parametrize("name", list(BAD_FILE_NAMES), ids=[repr(n)[:24] for n in BAD_FILE_NAMES])
def test_a_bad_file_name_is_refused_with_its_name_and_no_row(api: Api, name: str) -> None:
    body = samples.template_body(**{name: "kind: ConfigMap\n"})
    refused = api.post("/api/v1/templates", body)
    assert refused.status_code == 422, refused.text
    assert BAD_FILE_NAMES[name] in refused.json()["error"]["message"]
    assert _versions(api) == [1]
    assert len(api.audit("template.import")) == 1  # nothing new audited either


def test_a_request_name_other_than_kapstan_yaml_is_refused_naming_both(api: Api) -> None:
    refused = api.post("/api/v1/templates", {**samples.template_body(), "name": "other"})
    assert refused.status_code == 422, refused.text
    message = refused.json()["error"]["message"]
    assert "'other' differs from the name in kapstan.yaml ('shop')" in message
    assert api.get("/api/v1/templates/other").status_code == 404
    assert [t.name for t in api.store.list_templates()] == ["shop"]
