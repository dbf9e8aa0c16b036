"""The two servers ``bench_api.py`` measures, and what /proc says about their processes.

``kapstan server`` on 127.0.0.1, started as a user would (the ``kapstan`` command beside this
Python), ready when ``/readyz`` answers, stopped by its pid; the sandbox's kube-apiserver,
reached with the client certificate and CA of the sandbox's kubeconfig. A server's CPU and
peak RSS are read from /proc, over its process tree (uvicorn's workers) or, for the peer,
kube-apiserver and its etcd.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from kapstan import sandbox

START_TIMEOUT = 180.0  # each worker is a new Python importing Kapstan; slow on a busy machine


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def kapstan_command() -> str:
    beside = Path(sys.executable).with_name("kapstan")
    found = str(beside) if beside.exists() else shutil.which("kapstan")
    if found is None:
        raise SystemExit("no `kapstan` command: install the package (pip install -e .)")
    return found


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"kapstan server exited: {server.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"kapstan server not ready in {START_TIMEOUT} s: {server.log.read_text()[-3000:]}"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)


@contextmanager
def kapstan_server(
    db: str, key: str, logs: Path, workers: int, extra: Sequence[str] = ()
) -> Iterator[Server]:
    """``kapstan server`` on 127.0.0.1 over ``db`` (``extra``: more of its options), logging to
    a file; stopped by pid at the end."""
    # Only our own settings: a KAPSTAN_DB or KAPSTAN_SERVER of the caller's shell must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAPSTAN_")}
    env["KAPSTAN_SECRET_KEY"] = key
    port, log = free_port(), logs / "kapstan-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(kapstan_command(), "server", "--db", db, "--host", "127.0.0.1"),
                *("--port", str(port), "--workers", str(workers)),
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        server = Server(process, port, log)
        wait_ready(server)
        yield server
    finally:
        stop(process)


@dataclass(frozen=True)
class KubeAccess:
    server: str
    tls: ssl.SSLContext
    pids: tuple[int, int]  # kube-apiserver's and its etcd's: the server's CPU counts both


def kube_access(state: sandbox.SandboxState) -> KubeAccess:
    """The sandbox's admin client certificate, and its CA, from its kubeconfig."""
    config = yaml.safe_load(state.kubeconfig.read_text())
    cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
    tls = ssl.create_default_context(cafile=cluster["certificate-authority"])
    tls.load_cert_chain(user["client-certificate"], user["client-key"])
    pids = {p.component: p.pid for p in state.processes}
    return KubeAccess(cluster["server"], tls, (pids["kube-apiserver"], pids["etcd"]))


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (uvicorn's worker processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(c) for c in children.read_text().split())] if children.exists() else [pid]


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the most resident memory the process has had since it started."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def cpu_seconds(pids: tuple[int, ...]) -> float:
    """User + system CPU the processes have used so far (a process gone counts nothing)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is field 3
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15
    return total / os.sysconf("SC_CLK_TCK")
