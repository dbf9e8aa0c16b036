"""The clusters registry without a cluster: what is stored, how it is read back, what is
refused (issue 17). The live reads are in ``test_clusters_live``."""

from __future__ import annotations

import base64
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kapstan.actions import clusters, environments
from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.store import Store
from kapstan.store.crypto import generate_key

KEY = b"-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END EC PRIVATE KEY-----\n"


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Path:
    """Two contexts; ``dev`` names its CA and key by relative and absolute path, a token file."""
    (tmp_path / "ca.crt").write_bytes(b"CA-BYTES")
    (tmp_path / "admin.key").write_bytes(KEY)
    (tmp_path / "token").write_text("tok-123\n")
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "a",
                "cluster": {"server": "https://127.0.0.1:6443/", "certificate-authority": "ca.crt"},
            },
            {"name": "b", "cluster": {"server": "https://127.0.0.1:7443"}},
        ],
        "users": [
            {
                "name": "admin",
                "user": {
                    "client-certificate-data": base64.b64encode(b"CERT").decode(),
                    "client-key": str(tmp_path / "admin.key"),
                },
            },
            {"name": "bot", "user": {"tokenFile": "token"}},
        ],
        "contexts": [
            {"name": "dev", "context": {"cluster": "a", "user": "admin"}},
            {"name": "ops", "context": {"cluster": "b", "user": "bot", "namespace": "x"}},
        ],
        "current-context": "dev",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(
        f"sqlite:///{tmp_path / 'k.db'}", environ={"KAPSTAN_SECRET_KEY": generate_key()}
    ) as opened:
        yield opened


def test_the_kubeconfig_is_stored_minified_and_flattened(kubeconfig: Path) -> None:
    found = clusters.read_kubeconfig(kubeconfig, None)
    assert (found.context, found.server) == ("dev", "https://127.0.0.1:6443")
    flat = yaml.safe_load(found.text)
    assert [c["name"] for c in flat["clusters"]] == ["a"] and flat["current-context"] == "dev"
    cluster, user = flat["clusters"][0]["cluster"], flat["users"][0]["user"]
    assert base64.b64decode(cluster["certificate-authority-data"]) == b"CA-BYTES"
    assert base64.b64decode(user["client-key-data"]) == KEY
    assert "client-key" not in user and "certificate-authority" not in cluster
    ops = yaml.safe_load(clusters.read_kubeconfig(kubeconfig, "ops").text)
    assert ops["users"][0]["user"] == {"token": "tok-123"}


def test_a_file_the_kubeconfig_names_that_cannot_be_read_is_named(kubeconfig: Path) -> None:
    (kubeconfig.parent / "ca.crt").unlink()
    with pytest.raises(InputError, match=r"names the file .*ca\.crt, which cannot be read"):
        clusters.read_kubeconfig(kubeconfig, None)


def test_the_private_kubeconfig_is_private_and_gone_after(tmp_path: Path) -> None:
    with clusters.private_kubeconfig("main", "secret text") as path:
        assert path.read_text() == "secret text"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not path.exists() and not path.parent.exists()
    with pytest.raises(RuntimeError), clusters.private_kubeconfig("main", "x") as failing:
        raise RuntimeError
    assert not failing.parent.exists()


def test_the_store_keeps_only_ciphertext_and_refuses_a_second_name(
    store: Store, kubeconfig: Path
) -> None:
    clusters.add_cluster(store, "main", kubeconfig=kubeconfig, author="ana", via="test")
    with store._db.reading() as session:
        from kapstan.store.tables import ClusterRow

        row = session.query(ClusterRow).one()
        assert b"c2VjcmV0" not in row.kubeconfig_ciphertext.encode()
        assert base64.b64encode(KEY).decode()[:20] not in row.kubeconfig_ciphertext
    assert "client-key-data" in store.cluster_kubeconfig("main").reveal()
    assert repr(store.cluster_kubeconfig("main")) == "SecretValue(<redacted>)"
    with pytest.raises(ConflictError, match="cluster 'main' is registered already"):
        clusters.add_cluster(store, "main", kubeconfig=kubeconfig, author="ana", via="test")
    assert [e.action for e in store.list_audit()][-1:] == ["cluster.add"]


def test_environments_on_a_cluster_and_the_removal_they_block(
    store: Store, kubeconfig: Path
) -> None:
    clusters.add_cluster(store, "main", kubeconfig=kubeconfig, author="ana", via="test")
    env = environments.create_environment(store, "dev", cluster="main", namespace="dev")
    assert (env.cluster, env.kubeconfig, env.context) == ("main", "", "dev")
    assert "secret" not in repr(env) and env.cluster_kubeconfig is not None
    with pytest.raises(
        ConflictError, match=r"namespace 'dev' on cluster https://127\.0\.0\.1:6443"
    ):
        environments.create_environment(store, "dev2", cluster="main", namespace="dev")
    with pytest.raises(ConflictError, match=r"used by environment\(s\) dev"):
        clusters.remove_cluster(store, "main", author="ana", via="test")
    store.delete_environment("dev")
    clusters.remove_cluster(store, "main", author="ana", via="test")
    with pytest.raises(NotFoundError, match="kapstan cluster add main"):
        store.get_cluster("main")


def test_env_create_takes_a_cluster_or_a_kubeconfig(store: Store, kubeconfig: Path) -> None:
    with pytest.raises(InputError, match="either --cluster NAME"):
        environments.create_environment(store, "dev", namespace="dev")
    with pytest.raises(NotFoundError, match="cluster 'nope' not found"):
        environments.create_environment(store, "dev", cluster="nope", namespace="dev")


def test_a_kubeconfig_env_is_put_on_a_cluster_named_after_it(
    store: Store, kubeconfig: Path
) -> None:
    first = environments.create_environment(store, "dev", kubeconfig=kubeconfig, namespace="a")
    same = environments.create_environment(store, "qa", kubeconfig=kubeconfig, namespace="b")
    other = environments.create_environment(
        store, "ops", kubeconfig=kubeconfig, context="ops", namespace="c"
    )
    assert (first.cluster, same.cluster, other.cluster) == ("dev", "dev", "ops")
    assert first.kubeconfig == str(kubeconfig)  # the path is kept, for people to read
    here = environments.clone_environment(store, "dev", "dev-b", author="ana", namespace="d")
    there = environments.clone_environment(
        store, "dev", "dev-c", author="ana", namespace="e", context="ops"
    )
    assert (here.cluster, there.cluster) == ("dev", "ops")  # the source's; the context's


def test_without_a_key_a_kubeconfig_env_keeps_its_path_alone(
    tmp_path: Path, kubeconfig: Path
) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'n.db'}", environ={}) as bare:
        env = environments.create_environment(bare, "dev", kubeconfig=kubeconfig, namespace="a")
        assert env.cluster is None and bare.list_clusters() == []
