"""One real ``kapstan server`` per test module, and the CLI run against it and locally.

The server is a separate process on 127.0.0.1 over a SQLite file; the local runs open
the same file with ``--db``. ``both(...)`` runs one command each way, so a test can
assert that the output is the same whether the CLI works locally or through the server.

users   root (administrator), vic (viewer in dev), dana (deployer in dev)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kapstan.cli.main import main
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.cli.conftest import Result as Result  # re-exported: the remote tests name it
from tests.replicas.servers import Replica, replicas

USERS = {"root": {}, "vic": {"dev": "viewer"}, "dana": {"dev": "deployer"}}
KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: []
contexts: []
users: []
"""


@dataclass
class Server:
    replica: Replica
    db: str
    home: Path
    kubeconfig: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.replica.port}"

    def store(self) -> Store:
        return Store.open(self.db)


@dataclass
class Cli:
    server: Server
    capture: Callable[[list[str]], Result]

    def local(self, *args: str | Path) -> Result:
        return self.capture(["--db", self.server.db, *map(str, args)])

    def remote(self, *args: str | Path, user: str = "root") -> Result:
        token = self.server.tokens[user]
        return self.capture(["--server", self.server.url, "--token", token, *map(str, args)])

    def both(self, *args: str | Path) -> tuple[Result, Result]:
        return self.local(*args), self.remote(*args)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("remote")
    db = f"sqlite:///{home / 'kapstan.db'}"
    key = generate_key()
    kubeconfig = home / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAPSTAN_SECRET_KEY", key)
        patch.setenv("KAPSTAN_USER", "local-op")  # not a server user: authors tell the two apart
        patch.setenv("XDG_CONFIG_HOME", str(home / "config"))
        for name in ("KAPSTAN_DB", "KAPSTAN_SERVER", "KAPSTAN_TOKEN", "KAPSTAN_SECRET_KEY_FILE"):
            patch.delenv(name, raising=False)
        tokens: dict[str, str] = {}
        with Store.open(db) as store:
            store.create_environment(
                "dev", kubeconfig=str(kubeconfig), context=None, namespace="dev", config=None
            )
            for name, roles in USERS.items():
                store.create_user(name, password=None, admin=name == "root")
                for env, role in roles.items():
                    store.grant_role(name, env, role)
                tokens[name] = store.create_token(name)[0]
        environ = {"KAPSTAN_SECRET_KEY": key}
        with replicas(db, tokens["root"], environ, home, ("server",)) as started:
            yield Server(started["server"], db, home, kubeconfig, tokens)


@pytest.fixture
def cli(server: Server, capsys: pytest.CaptureFixture[str]) -> Cli:
    def capture(argv: list[str]) -> Result:
        capsys.readouterr()
        code = main(argv)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return Cli(server, capture)
