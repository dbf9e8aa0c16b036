"""``Clusters``: kube clients kept for a short while, per environment, for read-only views.

Building a client costs far more than using it (the kubeconfig is parsed, and the TLS
contexts load the CA bundle: tens of ms of CPU), and a console page or a health list reads
the same few clusters over and over. So clients are kept per (kubeconfig file, context,
timeout, retry policy) for ``ttl`` seconds, at most ``max_entries`` of them; a registered
cluster's client (``connect_sealed``) per (cluster, digest of its decrypted kubeconfig).

Why this is safe to reuse: a lease behaves as ``kapstan.kube.connect`` does, checking the
server answers (``/version``) before it is handed out, so a cluster that went down is
reported as down at once, with the same message. What a kept client may miss is a change
of the credentials the kubeconfig points to (a rotated certificate or token file): the
kubeconfig file itself is part of the key (its mtime, size and inode), and the rest is
picked up when the entry expires. Writes (deploys) never lease: they connect anew.

One pool per API process (``ApiState``); a client is closed once it is expired or evicted
and no lease still holds it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kapstan.actions.clusters import private_kubeconfig
from kapstan.kube import KubeClient, RetryPolicy
from kapstan.kube import config as kubeconfig_files

TTL_SECONDS = 30.0
MAX_ENTRIES = 16
FIELD_MANAGER = "kapstan"

# The identity impersonated is part of the key: a client never serves another identity.
Key = tuple[str, str | None, float, RetryPolicy | None, tuple[int, int, int], str | None]
Build = Callable[[str, str | None, float, RetryPolicy | None, str | None], KubeClient]


def build_client(
    kubeconfig: str,
    context: str | None,
    timeout: float,
    retry: RetryPolicy | None,
    impersonate: str | None = None,
) -> KubeClient:
    """A client as ``kapstan.kube.connect`` builds it, without asking the server yet."""
    target = kubeconfig_files.load(kubeconfig, context, impersonate)
    return KubeClient(target, FIELD_MANAGER, timeout, retry)


@dataclass
class _Entry:
    client: KubeClient
    born: float
    leases: int = 0
    retired: bool = False
    closed: bool = False


class Clusters:
    def __init__(
        self,
        ttl: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        *,
        clock: Callable[[], float] = time.monotonic,
        build: Build = build_client,
    ) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._build = build
        self._entries: dict[Key, _Entry] = {}
        self._gates: dict[Key, threading.Lock] = {}
        self._lock = threading.Lock()

    @contextmanager
    def connect(
        self,
        kubeconfig: str,
        context: str | None = None,
        *,
        timeout: float = 30,
        retry: RetryPolicy | None = None,
        impersonate: str | None = None,
    ) -> Iterator[KubeClient]:
        """A client for ``context`` of ``kubeconfig``; fails now if the server is unreachable
        (as ``kapstan.kube.connect``). Not closed on exit: it goes back to the pool."""
        key = _key(kubeconfig, context, timeout, retry, impersonate)

        def build() -> KubeClient:
            return self._build(kubeconfig, context, timeout, retry, impersonate)

        if key is None:  # no such file: building says so, as connect would
            with build() as client:
                client.version()
                yield client
            return
        with self._leased(key, build) as client:
            yield client

    @contextmanager
    def connect_sealed(
        self,
        name: str,
        kubeconfig: str,
        *,
        timeout: float = 30,
        retry: RetryPolicy | None = None,
        impersonate: str | None = None,
    ) -> Iterator[KubeClient]:
        """A client for registered cluster ``name`` from its decrypted ``kubeconfig`` text,
        kept as ``connect`` keeps one. The key holds a digest of the text, never the text:
        a cluster registered again (other credentials) gets a new client."""
        digest = hashlib.sha256(kubeconfig.encode("utf-8")).hexdigest()
        key: Key = (f"cluster {name} {digest}", None, timeout, retry, (0, 0, 0), impersonate)

        def build() -> KubeClient:
            with private_kubeconfig(name, kubeconfig) as path:  # gone once the client is built
                return self._build(str(path), None, timeout, retry, impersonate)

        with self._leased(key, build) as client:
            yield client

    @contextmanager
    def _leased(self, key: Key, build: Callable[[], KubeClient]) -> Iterator[KubeClient]:
        entry = self._lease(key, build)
        try:
            entry.client.version()
            yield entry.client
        finally:
            self._release(entry)

    def __len__(self) -> int:
        return len(self._entries)

    def close(self) -> None:
        """Retire every client (each closed as soon as no lease holds it)."""
        with self._lock:
            done = _idle([self._retire(key) for key in list(self._entries)])
        _close(done)

    def _lease(self, key: Key, build: Callable[[], KubeClient]) -> _Entry:
        with self._lock:
            entry, done = self._live(key)
            gate = None if entry is not None else self._gates.setdefault(key, threading.Lock())
        _close(done)
        if gate is None:
            assert entry is not None
            return entry
        with gate:  # one build per key at a time: concurrent first views wait for it
            with self._lock:
                entry, done = self._live(key)
            _close(done)
            if entry is not None:
                return entry
            client = build()
            with self._lock:
                entry = _Entry(client, self._clock(), leases=1)
                self._entries[key] = entry
                self._gates.pop(key, None)
                done = self._evict()
            _close(done)
            return entry

    def _live(self, key: Key) -> tuple[_Entry | None, list[_Entry]]:
        """The entry for ``key``, leased (None if there is none or it expired), and the
        entries to close now. Called locked."""
        entry = self._entries.get(key)
        if entry is None:
            return None, []
        if self._clock() - entry.born >= self._ttl:
            return None, _idle([self._retire(key)])
        entry.leases += 1
        return entry, []

    def _evict(self) -> list[_Entry]:
        """The oldest entries beyond ``max_entries`` retired; those to close now. Locked."""
        extra = len(self._entries) - self._max_entries
        oldest = sorted(self._entries, key=lambda k: self._entries[k].born)[: max(extra, 0)]
        return _idle([self._retire(key) for key in oldest])

    def _retire(self, key: Key) -> _Entry:
        entry = self._entries.pop(key)
        entry.retired = True
        return entry

    def _release(self, entry: _Entry) -> None:
        with self._lock:
            entry.leases -= 1
            done = _idle([entry])
        _close(done)

    def __enter__(self) -> Clusters:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _idle(entries: list[_Entry]) -> list[_Entry]:
    """Of ``entries``, the retired ones no lease holds, marked closed. Called locked, so
    each client is closed once, by whoever saw it go idle."""
    found = [e for e in entries if e.retired and e.leases == 0 and not e.closed]
    for entry in found:
        entry.closed = True
    return found


def _close(entries: list[_Entry]) -> None:
    for entry in entries:
        entry.client.close()


def _key(
    kubeconfig: str,
    context: str | None,
    timeout: float,
    retry: RetryPolicy | None,
    impersonate: str | None,
) -> Key | None:
    path = Path(kubeconfig).expanduser()
    try:
        stat = path.stat()
    except OSError:
        return None
    return (
        str(path.absolute()),
        context,
        timeout,
        retry,
        (stat.st_mtime_ns, stat.st_size, stat.st_ino),
        impersonate,
    )
