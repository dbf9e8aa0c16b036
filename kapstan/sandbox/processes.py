"""Starting and stopping the sandbox's processes, by pid, never by name."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from kapstan.errors import SandboxError
from kapstan.gobuild import log_tail


@dataclass(frozen=True)
class ProcessRecord:
    """A process the sandbox started: enough to find it again and be sure it is ours.

    ``start_ticks`` is the kernel's start time of the pid; a recycled pid has another one,
    so ``down`` never signals a stranger that happens to reuse the number.
    """

    component: str
    pid: int
    start_ticks: int
    log: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def ensure_port_free(port: int, component: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise SandboxError(
                f"port 127.0.0.1:{port} for {component} is already in use ({exc.strerror}); "
                "stop whatever listens there or let the sandbox pick free ports"
            ) from exc


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; fields after the last ')' are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[19])


def start(component: str, argv: list[str], log: Path) -> ProcessRecord:
    """Start one component in its own session, its output in ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    # posix_spawn rather than Popen: the component outlives this Python process (a
    # `sandbox up` returns while the cluster runs), so there is no Popen object to keep.
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    try:
        pid = os.posix_spawn(argv[0], argv, dict(os.environ), file_actions=actions, setsid=True)
    except OSError as exc:
        raise SandboxError(f"cannot start {component} ({argv[0]}): {exc.strerror}") from exc
    ticks = _start_ticks(pid)
    if ticks is None:
        raise SandboxError(f"{component} exited at once; log {log}:\n{log_tail(log)}")
    return ProcessRecord(component=component, pid=pid, start_ticks=ticks, log=str(log))


def is_running(rec: ProcessRecord) -> bool:
    ticks = _start_ticks(rec.pid)
    if ticks != rec.start_ticks:
        return False
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{rec.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return False


def _reap(pid: int) -> None:
    # Our own children become zombies until waited for; other processes are not ours to reap.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop(rec: ProcessRecord, grace: float = 10.0) -> None:
    """SIGTERM the recorded pid (if it is still the same process), SIGKILL after ``grace``."""
    if not is_running(rec):
        _reap(rec.pid)
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(rec.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(rec.pid)
        if not is_running(rec):
            return
        time.sleep(0.05)
    if is_running(rec):
        with contextlib.suppress(ProcessLookupError):
            os.kill(rec.pid, signal.SIGKILL)
        for _ in range(100):
            _reap(rec.pid)
            if not is_running(rec):
                return
            time.sleep(0.05)


def rss_bytes(rec: ProcessRecord) -> int:
    """Resident memory of a running component, 0 when it is gone."""
    if not is_running(rec):
        return 0
    try:
        for line in Path(f"/proc/{rec.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0
