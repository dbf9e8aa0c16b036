"""``ApiClient`` against faults a real server will not produce on demand.

A small fake on 127.0.0.1 answers what a proxy or a dying server would: an HTML 502, a
200 that is not JSON, a dropped connection, an event stream cut in the middle. (The real
server's answers are tested through the real server in tests/remote.)
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from kapstan import errors
from kapstan.client import http as client_http
from kapstan.client.http import ApiClient, ServerError


class Fake(BaseHTTPRequestHandler):
    streams: ClassVar[list[str | None]] = []  # the Last-Event-ID of each stream request

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, kind: str, message: str) -> None:
        self._send(status, json.dumps({"error": {"type": kind, "message": message}}).encode())

    def do_GET(self) -> None:
        route = self.path.split("?")[0]
        if route == "/proxy":
            self._send(502, b"<html>Bad Gateway</html>", "text/html")
        elif route == "/not-json":
            self._send(200, b"hello", "text/plain")
        elif route == "/drop":
            self.connection.close()
        elif route == "/conflict":
            self._error(409, "ConflictError", "application 'shop' is locked by operation 7")
        elif route == "/unknown-type":
            self._error(404, "SomethingNew", "no such thing")
        elif route == "/unauthorized":
            self._error(401, "AuthError", "missing token")
        elif route == "/forbidden":
            self._error(403, "ForbiddenError", "vic may not deploy in dev")
        elif route == "/stream":
            self._stream()
        else:
            self._error(404, "NotFoundError", "no route")

    def _stream(self) -> None:
        last = self.headers.get("Last-Event-ID")
        Fake.streams.append(last)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        start = 0 if last is None else int(last) + 1
        for index in range(start, 4):
            data = json.dumps({"n": index})
            self.wfile.write(f"event: progress\nid: {index}\ndata: {data}\n\n".encode())
            self.wfile.flush()
            if index == 1 and last is None:
                self.connection.close()  # cut after the second event, on the first stream only
                return
        self.wfile.write(b': keep-alive\n\nevent: end\ndata: {"status": "ok"}\n\n')
        self.wfile.flush()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiClient]:
    monkeypatch.setattr(client_http, "RECONNECT_PAUSE", 0.01)
    Fake.streams = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with ApiClient(f"http://127.0.0.1:{server.server_address[1]}", "t0k", timeout=5) as c:
            yield c
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_proxy_error_page_says_it_is_not_the_api(fake: ApiClient) -> None:
    with pytest.raises(ServerError, match="HTTP 502; is it a Kapstan server"):
        fake.get("/proxy")


def test_an_answer_that_is_not_json_is_refused(fake: ApiClient) -> None:
    with pytest.raises(ServerError, match="not JSON"):
        fake.get("/not-json")


def test_a_dropped_connection_names_the_server(fake: ApiClient) -> None:
    with pytest.raises(ServerError, match=f"cannot reach the Kapstan server at {fake.base_url}"):
        fake.get("/drop")


@pytest.mark.parametrize(
    ("route", "kind", "text"),
    [
        ("/conflict", errors.ConflictError, "locked by operation 7"),
        ("/unknown-type", errors.NotFoundError, "no such thing"),  # by status
        ("/unauthorized", errors.AuthError, "--token"),  # with the hint
        ("/forbidden", errors.ForbiddenError, "vic may not deploy"),
    ],
)
def test_errors_come_back_as_the_servers_kind(
    fake: ApiClient, route: str, kind: type[errors.KapstanError], text: str
) -> None:
    with pytest.raises(kind, match=text) as caught:
        fake.get(route)
    assert type(caught.value) is kind


def test_a_cut_event_stream_resumes_without_losing_or_repeating(fake: ApiClient) -> None:
    got = list(fake.events("/stream", timeout=5))
    assert [e.data["n"] for e in got if e.name == "progress"] == [0, 1, 2, 3]
    assert got[-1].name == "end" and got[-1].data == {"status": "ok"}
    assert Fake.streams == [None, "1"]  # the second request resumed after event 1


def test_a_stream_that_keeps_failing_gives_up(fake: ApiClient) -> None:
    with pytest.raises(ServerError, match="cannot reach"):
        list(fake.events("/drop", timeout=5, reconnects=2))


def test_server_urls_are_checked() -> None:
    with pytest.raises(errors.InputError, match="http://HOST:PORT"):
        ApiClient("127.0.0.1:8080", None)
    with ApiClient("http://127.0.0.1:8080/", None) as client:
        assert client.base_url == "http://127.0.0.1:8080"


def test_a_plain_http_server_gets_a_tls_context_that_trusts_nothing() -> None:
    # No CA bundle loaded for a server that never uses TLS (start-up time); should TLS be
    # reached through it anyway, every certificate fails verification.
    plain = client_http._verify("http://127.0.0.1:8080")
    assert isinstance(plain, ssl.SSLContext)
    assert plain.verify_mode is ssl.CERT_REQUIRED and plain.check_hostname
    assert plain.cert_store_stats()["x509_ca"] == 0
    assert client_http._verify("https://kapstan.example:8443") is True
