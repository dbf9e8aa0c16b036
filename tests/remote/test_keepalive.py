"""``kapstan server`` keeps an idle keep-alive connection open past uvicorn's 5 s default.

A client pool or a proxy that reuses a connection the server has just closed sees the
request fail in transit; the server keeps idle connections longer than such pools do.
"""

from __future__ import annotations

import socket
import time

from kapstan.cli.server_cmd import KEEP_ALIVE_SECONDS
from tests.remote.conftest import Server

IDLE = 6.5  # past uvicorn's default (5 s), far below ours


def ask(conn: socket.socket) -> bytes:
    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    conn.settimeout(10)
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        answer += chunk
    return answer


def test_an_idle_connection_is_still_open_after_the_default_timeout(server: Server) -> None:
    assert KEEP_ALIVE_SECONDS > IDLE
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    with socket.create_connection((host, port), timeout=10) as conn:
        assert ask(conn).startswith(b"HTTP/1.1 200")
        time.sleep(IDLE)
        again = ask(conn)
    assert again.startswith(b"HTTP/1.1 200"), again
