"""``files:`` and ``filesPath`` of a service (#12 finding 5): names a mounted ConfigMap can
hold, refused at parse time naming the line, not at deploy time by the apiserver.
"""

from __future__ import annotations

import pytest

from kapstan.errors import TemplateError
from kapstan.templates.parser import parse_template
from tests.unit.samples import deployment, one_service


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    files: {'..': a.b}\n", "files: '..' is not a valid file name"),
        ("    files: {'.': a.b}\n", "files: '.' is not a valid file name"),
        ("    files: {..data: a.b}\n", "files: '..data' is not a valid file name"),
        (f"    files: {{{'f' * 254}: a.b}}\n", "is longer than 253 characters"),
        ("    filesPath: /etc/../root\n", "filesPath '/etc/../root': no '..'"),
        ('    filesPath: "/etc/\\x1b[2J"\n', "no '..' and no control characters"),
    ],
)
def test_bad_file_bindings_are_refused_naming_the_line(extra: str, message: str) -> None:
    with pytest.raises(TemplateError) as err:
        parse_template(one_service(deployment(), extra))
    assert message in str(err.value)
    assert str(err.value).startswith("kapstan.yaml:")


def test_dotted_file_names_are_still_fine() -> None:
    extra = "    files: {app.conf: a.b, .hidden: c.d}\n    filesPath: /etc/app\n"
    spec = parse_template(one_service(deployment(), extra)).services["app"]
    assert [b.name for b in spec.files] == ["app.conf", ".hidden"]
