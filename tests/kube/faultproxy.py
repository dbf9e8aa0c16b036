"""A fault-injecting reverse proxy in front of the real sandbox apiserver, on our own port.

A real cluster will not answer 429, 503 or drop a connection on demand, so tests put this
between ``KubeClient`` and the sandbox: it listens on plain HTTP on 127.0.0.1, forwards to
the apiserver's HTTPS with the sandbox admin's client certificate, and, while a ``Rule``
matches (method + path regex, a bounded number of times), answers with a fault instead.

    with FaultProxy(state) as proxy:
        proxy.add(Rule("GET", r"/deployments/web$", status=429, retry_after="1", times=2))
        kubeconfig = proxy.write_kubeconfig(tmp_path)
        ...
        proxy.count("GET", r"/deployments/web$")    # attempts that reached the proxy
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from kapstan.sandbox import SandboxState

HOP_HEADERS = {"host", "authorization", "connection", "content-length", "accept-encoding"}
DROPPED_RESPONSE_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}


@dataclass
class Rule:
    """Answer ``status`` (or drop the connection) to ``times`` matching requests; None: always."""

    method: str
    path: str
    status: int | None = None
    drop: bool = False
    retry_after: str | None = None
    times: int | None = 1

    def take(self, method: str, path: str) -> bool:
        if self.times == 0 or method != self.method or not re.search(self.path, path):
            return False
        if self.times is not None:
            self.times -= 1
        return True


class FaultProxy:
    """The proxy; use it as a context manager so its thread and sockets always stop."""

    def __init__(self, state: SandboxState) -> None:
        pki = Path(state.directory) / "pki"
        context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
        self.upstream = httpx.Client(base_url=state.server, verify=context, timeout=30.0)
        self.rules: list[Rule] = []
        self.seen: list[tuple[str, str]] = []
        self.faulted: list[tuple[str, str]] = []  # the requests a rule answered
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # Joined on close: a handler thread never outlives the test (idle ones time out).
        self.server.daemon_threads = False
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        with self.lock:
            open_connections = list(self.connections)
        for connection in open_connections:  # end idle keep-alive handlers now
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.server.server_close()
        self.thread.join(timeout=10)
        self.upstream.close()

    def add(self, rule: Rule) -> Rule:
        with self.lock:
            self.rules.append(rule)
        return rule

    def count(self, method: str, path: str) -> int:
        """How many requests matching ``method`` and the ``path`` regex reached the proxy."""
        with self.lock:
            return sum(1 for m, p in self.seen if m == method and re.search(path, p))

    def fault_for(self, method: str, path: str) -> Rule | None:
        with self.lock:
            self.seen.append((method, path))
            rule = next((rule for rule in self.rules if rule.take(method, path)), None)
            if rule is not None:
                self.faulted.append((method, path))
            return rule

    def write_kubeconfig(self, directory: Path) -> Path:
        path = directory / "faulty-kubeconfig"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "faulty", "cluster": {"server": self.url}}],
            "users": [{"name": "faulty", "user": {"token": "unused-the-proxy-authenticates"}}],
            "contexts": [{"name": "faulty", "context": {"cluster": "faulty", "user": "faulty"}}],
            "current-context": "faulty",
        }
        path.write_text(yaml.safe_dump(config))
        return path


def _status_body(code: int) -> bytes:
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": f"fault injected by the test proxy (HTTP {code})",
        "code": code,
    }
    return json.dumps(status).encode()


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10  # an idle keep-alive connection is closed, so its thread ends

        def setup(self) -> None:
            super().setup()
            with proxy.lock:
                proxy.connections.add(self.connection)

        def finish(self) -> None:
            with proxy.lock:
                proxy.connections.discard(self.connection)
            super().finish()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

        def handle_any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rule = proxy.fault_for(self.command, self.path.split("?")[0])
            if rule is not None and rule.drop:
                self.close_connection = True  # no response at all: the client sees a drop
            elif rule is not None and rule.status is not None:
                self.fault(rule)
            else:
                self.forward(body)

        def fault(self, rule: Rule) -> None:
            payload = _status_body(int(rule.status or 500))
            self.send_response(int(rule.status or 500))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if rule.retry_after is not None:
                self.send_header("Retry-After", rule.retry_after)
            self.end_headers()
            self.wfile.write(payload)

        def forward(self, body: bytes) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            answer = proxy.upstream.request(self.command, self.path, content=body, headers=headers)
            self.send_response(answer.status_code)
            for key, value in answer.headers.items():
                if key.lower() not in DROPPED_RESPONSE_HEADERS:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    return Handler
