"""Real ``kapstan server`` processes on one store: started on 127.0.0.1, stopped by pid.

Each process runs uvicorn in its own Python (``kapstan server --db URL --port P``), logs
to a file in the test's directory, and is SIGKILLed by pid if it does not stop on SIGTERM.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

START_TIMEOUT = 90.0  # a loaded 2-core machine took over 30 s to import the server


@dataclass
class Replica:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    token: str
    client: httpx2.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx2.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30.0,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lock release; the process just stops."""
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
            try:
                if self.client.get("/readyz").status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"{self.name} not ready in {START_TIMEOUT} s: {self.log.read_text()[-3000:]}"
        )


def kapstan_command() -> list[str]:
    beside = Path(sys.executable).with_name("kapstan")
    found = str(beside) if beside.exists() else shutil.which("kapstan")
    if found is None:
        raise RuntimeError("no `kapstan` command: install the package (pip install -e .)")
    return [found]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def replicas(
    url: str,
    token: str,
    environ: Mapping[str, str],
    logs: Path,
    names: tuple[str, ...],
    extra: tuple[str, ...] = (),
) -> Iterator[dict[str, Replica]]:
    """Start one server per name on ``url`` (``extra``: more `kapstan server` options); all
    stop (by pid) when the block ends."""
    started: dict[str, Replica] = {}
    env = {**os.environ, **environ}
    try:
        for name in names:
            port, log = free_port(), logs / f"{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        *kapstan_command(),
                        "server",
                        "--db",
                        url,
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        *extra,
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            started[name] = Replica(name, process, port, log, token)
        for replica in started.values():
            replica.wait_ready()
        yield started
    finally:
        for replica in started.values():
            replica.stop()
