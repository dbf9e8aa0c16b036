"""Importers read only inside the folder they are given (#12 finding 5): a compose project's
``.env`` and ``env_file``, a folder of manifests and a chart folder refuse any symbolic link
(or path) leaving it, naming the link and its target.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kapstan.errors import InputError
from kapstan.importers import import_compose, import_helm, import_manifests
from tests.importers.conftest import CHART

COMPOSE = "services:\n  web:\n    image: nginx\n    env_file: [web.env]\n"
MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n"


@pytest.fixture
def server_file(tmp_path: Path) -> Path:
    path = tmp_path / "server" / "private.env"
    path.parent.mkdir()
    path.write_text("TOKEN=from-elsewhere-on-the-server\n")
    return path


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yaml").write_text(COMPOSE)
    (project / "web.env").write_text("LOG=info\n")
    return project


@pytest.mark.parametrize("link", ["web.env", ".env"])
def test_compose_env_files_linked_out_of_the_project_are_refused(
    tmp_path: Path, server_file: Path, link: str
) -> None:
    project = _project(tmp_path)
    (project / link).unlink(missing_ok=True)
    (project / link).symlink_to(server_file)
    with pytest.raises(InputError) as err:
        import_compose(project / "compose.yaml")
    assert f"{project / link}: symbolic link to {server_file} leaves {project}" in str(err.value)
    assert "from-elsewhere" not in str(err.value)


def test_a_compose_env_file_outside_the_project_is_refused(
    tmp_path: Path, server_file: Path
) -> None:
    """The chosen rule: a compose import reads only inside the compose file's folder."""
    project = _project(tmp_path)
    (project / "compose.yaml").write_text(COMPOSE.replace("web.env", "../server/private.env"))
    with pytest.raises(InputError, match=r"env file \.\./server/private\.env: .* is outside"):
        import_compose(project / "compose.yaml")


def test_a_compose_env_file_linked_inside_the_project_is_read(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "env").mkdir()
    (project / "web.env").rename(project / "env" / "web.env")
    (project / "web.env").symlink_to("env/web.env")
    assert "web.env.LOG" in import_compose(project / "compose.yaml").config


def test_a_manifest_folder_with_a_link_out_is_refused(tmp_path: Path, server_file: Path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "web.yaml").write_text(MANIFEST)
    secret = server_file.with_name("secret.yaml")
    secret.write_text(MANIFEST.replace("name: web", "name: stolen"))
    (folder / "stolen.yaml").symlink_to(secret)
    with pytest.raises(InputError, match=f"stolen.yaml: symbolic link to {secret} leaves"):
        import_manifests(folder)


def test_a_chart_folder_with_a_link_out_is_refused_before_helm_runs(
    tmp_path: Path, server_file: Path
) -> None:
    chart = tmp_path / "chart"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "stolen.yaml").symlink_to(server_file)
    with pytest.raises(InputError, match=f"stolen.yaml: symbolic link to {server_file} leaves"):
        import_helm(chart, helm=tmp_path / "no-helm-needed")
