"""The load generator of ``bench_api.py``: GETs on kept-alive connections, each one timed.

One connection per concurrent client (a slot). The measured requests go through
``RawClient``: HTTP/1.1 on asyncio streams, a few tens of microseconds of this process's CPU
per request. ``--client httpx`` sends them through ``HttpxClient`` instead, the load
generator of earlier runs (milliseconds per request). ``hammer`` shares a number of requests
among the clients, each sending its next one on an answer, and tallies every request's
latency, errors and the answer's size. No servers here: ``bench_api.py`` points it at them.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

REQUEST_TIMEOUT = 120.0


@dataclass(frozen=True)
class Target:
    label: str
    path: Callable[[int], str]  # request number -> path
    api: bool = True  # counts toward "p99 under 50 ms for API reads"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    size: int = 0


class Getter(Protocol):
    """What the measured requests go through: ``get(slot, path)`` on the slot-th connection
    (one per concurrent client), answering the status and the body's size."""

    async def get(self, slot: int, path: str) -> tuple[int, int]: ...

    async def aclose(self) -> None: ...


LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)")


class Connection:
    """One kept-alive HTTP/1.1 connection that sends GETs and reads their answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.usable = True

    @classmethod
    async def open(cls, host: str, port: int, tls: ssl.SSLContext | None) -> Connection:
        reader, writer = await asyncio.open_connection(
            host, port, ssl=tls, server_hostname=host if tls else None, limit=1 << 20
        )
        return cls(reader, writer)

    async def get(self, request: bytes) -> tuple[int, int]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status, lower = int(head[9:12]), head.lower()
        length = LENGTH.search(lower)
        if length is not None:
            size = len(await self.reader.readexactly(int(length[1])))
        elif b"\r\ntransfer-encoding: chunked" in lower:
            size = await self._chunks()
        else:
            raise ValueError(f"an answer with neither Content-Length nor chunks: {head[:200]!r}")
        if b"\r\nconnection: close" in lower:
            self.close()
        return status, size

    async def _chunks(self) -> int:
        size = 0
        while chunk := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            size += len(await self.reader.readexactly(chunk + 2)) - 2
        await self.reader.readuntil(b"\r\n")  # no trailers are sent: the empty line
        return size

    def close(self) -> None:
        self.usable = False
        self.writer.close()


class RawClient:
    """GETs over one kept-alive HTTP/1.1 connection per concurrent client, on asyncio streams.

    The measured requests go through this rather than httpx, which spent 4 to 13 ms of this
    process's CPU per request (more than either server): the load generator, not the
    servers, set both sides' figures. This costs a few tens of microseconds.
    """

    def __init__(
        self,
        url: str,
        clients: int,
        headers: dict[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"{url}: no host and port")
        self.host, self.port, self.tls = parts.hostname, parts.port, tls
        fields = {"Host": parts.netloc, "Accept": "application/json", **(headers or {})}
        self._head = "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
        self._connections: list[Connection | None] = [None] * clients

    async def get(self, slot: int, path: str) -> tuple[int, int]:
        connection = self._connections[slot]
        # A connection the server closed while idle (keep-alive timeout) is opened again.
        if connection is None or not connection.usable or connection.reader.at_eof():
            connection = await Connection.open(self.host, self.port, self.tls)
            self._connections[slot] = connection
        try:
            return await connection.get(f"GET {path} HTTP/1.1\r\n{self._head}".encode())
        except BaseException:
            connection.close()
            raise

    async def aclose(self) -> None:
        for connection in self._connections:
            if connection is not None:
                connection.close()


class HttpxClient:
    """The same requests through httpx (``--client httpx``: the load generator of earlier runs)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, slot: int, path: str) -> tuple[int, int]:
        response = await self.client.get(path)
        return response.status_code, len(response.content)

    async def aclose(self) -> None:
        await self.client.aclose()


def async_client(base_url: str, clients: int, **options: Any) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    return httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT, follow_redirects=False, **options
    )


async def one(client: Getter, slot: int, path: str, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            status, size = await client.get(slot, path)
    except (httpx.HTTPError, OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
        # TimeoutError is an OSError; asyncio.IncompleteReadError an EOFError
        tally.latencies.append((time.perf_counter() - started) * 1000)
        tally.errors[type(exc).__name__] += 1
        return
    tally.latencies.append((time.perf_counter() - started) * 1000)
    if 200 <= status < 300:
        tally.size = size
    else:
        tally.errors[str(status)] += 1


async def hammer(
    client: Getter, target: Target, requests: int, clients: int, first: int = 0
) -> Tally:
    """``requests`` GETs shared by ``clients`` workers, each sending its next one on an answer.

    ``first``: the number of the first request, so that successive rounds rotate the names.
    """
    numbers = itertools.count(first)  # one event loop: next() needs no lock
    end = first + requests
    tally = Tally()

    async def worker(slot: int) -> None:
        while (number := next(numbers)) < end:
            await one(client, slot, target.path(number), tally)

    await asyncio.gather(*(worker(slot) for slot in range(clients)))
    return tally
