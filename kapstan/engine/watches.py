"""Shared watches: one stream per (apiVersion, kind, namespace) for a whole operation.

Every service an operation waits for reads the same streams instead of watching on its
own: a ``Watcher`` follows the objects it waits for, the hub starts the stream of their
kind and namespace on first need (the application's objects only, by its label), one
thread reads it and keeps the latest object per name, and only the watchers of an object
that changed are woken. A stream the apiserver ends (its ``timeout_seconds``) resumes
from the last resourceVersion; one that fails (410 Gone: that version is compacted, or a
dropped connection) starts over from the current state, at most ``MAX_FAILURES`` times
in a row, then stops and says why (its watchers then read their objects themselves). A
stream nobody follows ends with its current request, so nothing outlives the operation
by more than one ``slice_seconds``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kapstan.engine.ports import Cluster
from kapstan.errors import ClusterError
from kapstan.model.rendered import KubeObject

# (apiVersion, kind, namespace): what one watch request covers.
Key = tuple[str, str, str | None]
# A stream: a key, and whether it selects the application's objects by label (an object
# applied without the label, which a render always adds, is followed on an unselected one).
StreamKey = tuple[Key, bool]
# The last state a stream saw of an object: (deleted, the object as last seen).
Seen = tuple[bool, KubeObject]
WATCH_SLICE = 10  # seconds the apiserver keeps one watch request open
MAX_FAILURES = 5  # failed requests in a row before a stream gives up


def key_of(obj: KubeObject) -> Key:
    meta = obj.get("metadata") or {}
    return str(obj["apiVersion"]), str(obj["kind"]), meta.get("namespace")


def name_of(obj: KubeObject) -> str:
    return str((obj.get("metadata") or {}).get("name"))


def _meta(obj: KubeObject | None) -> Mapping[str, Any]:
    return ((obj or {}).get("metadata")) or {}


def is_newer(seen: KubeObject | None, than: KubeObject | None) -> bool:
    """Whether ``seen`` (from a stream) is a later state of the object read as ``than``.

    A stream may still deliver states older than a read made meanwhile. The apiserver's
    resourceVersions are etcd revisions (decimal, growing), compared as numbers; any other
    form is opaque, so only the same object (uid) at an equal or later generation counts.
    """
    if seen is None:
        return False
    if than is None:
        return True
    new, old = _meta(seen), _meta(than)
    seen_version, read_version = (
        str(new.get("resourceVersion", "")),
        str(old.get("resourceVersion", "")),
    )
    if seen_version.isdigit() and read_version.isdigit():
        return int(seen_version) > int(read_version)
    if new.get("uid") != old.get("uid"):
        return False
    return int(new.get("generation") or 0) >= int(old.get("generation") or 0)


@dataclass
class _Stream:
    key: StreamKey
    version: str | None = None  # where the next request resumes; None: from the current state
    objects: dict[str, Seen] = field(default_factory=dict)
    followers: set[Watcher] = field(default_factory=set)
    running: bool = False
    stopped: str | None = None  # why the stream gave up, once it has


class WatchHub:
    """The streams of one operation; ``watcher()`` for each wait. Threads end by themselves."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        labels: Mapping[str, str] | None = None,
        slice_seconds: int = WATCH_SLICE,
        max_failures: int = MAX_FAILURES,
    ) -> None:
        self.cluster = cluster
        self.labels = dict(labels) if labels else None
        self.slice_seconds = slice_seconds
        self.max_failures = max_failures
        self._lock = threading.Lock()
        self._streams: dict[StreamKey, _Stream] = {}
        self._interest: dict[tuple[StreamKey, str], set[Watcher]] = {}
        self._closed = False

    def watcher(self) -> Watcher:
        return Watcher(self)

    def stream_of(self, obj: KubeObject) -> StreamKey:
        """The stream that sees ``obj``: the labelled one if it carries the labels."""
        labels = _meta(obj).get("labels") or {}
        selected = bool(self.labels) and all(
            labels.get(k) == v for k, v in (self.labels or {}).items()
        )
        return key_of(obj), selected

    def close(self) -> None:
        """No new stream starts; running ones end with their current request."""
        with self._lock:
            self._closed = True

    def _follow(self, watcher: Watcher, key: StreamKey, name: str) -> None:
        with self._lock:
            stream = self._streams.setdefault(key, _Stream(key))
            stream.followers.add(watcher)
            self._interest.setdefault((key, name), set()).add(watcher)
            if stream.running or stream.stopped or self._closed:
                return
            stream.running = True
        threading.Thread(
            target=self._run, args=(stream,), name=f"watch {key[0][1]} {key[0][2]}", daemon=True
        ).start()

    def _unfollow(self, watcher: Watcher, targets: set[tuple[StreamKey, str]]) -> None:
        with self._lock:
            for key, name in targets:
                self._streams[key].followers.discard(watcher)
                interested = self._interest.get((key, name), set())
                interested.discard(watcher)
                if not interested:
                    self._interest.pop((key, name), None)

    def _latest(self, key: StreamKey, name: str) -> Seen | None:
        with self._lock:
            return self._streams[key].objects.get(name)

    def _stopped(self, key: StreamKey) -> str | None:
        with self._lock:
            stream = self._streams[key]
            if stream.stopped is None and self._closed and not stream.running:
                return "the operation's watches are closed"
            return stream.stopped

    def _run(self, stream: _Stream) -> None:
        failures = 0
        while self._go_on(stream):
            try:
                self._read(stream)
                failures = 0
            except Exception as exc:  # a thread has no caller: its watchers are told instead
                failures += 1
                with self._lock:  # start over from the current state: the version may be gone
                    stream.version, stream.objects = None, {}
                if self._closed:
                    break
                if failures > self.max_failures or not isinstance(exc, ClusterError):
                    self._give_up(stream, f"{failures} failed watch request(s), last: {exc}")
                    return
        with self._lock:
            stream.running = False

    def _go_on(self, stream: _Stream) -> bool:
        with self._lock:
            if not self._closed and stream.followers:
                return True
            stream.running = False
            return False

    def _read(self, stream: _Stream) -> None:
        """One watch request, until the apiserver ends it (or the hub is closed)."""
        (api_version, kind, namespace), selected = stream.key
        events: Iterator[tuple[str, KubeObject]] = self.cluster.watch(
            api_version,
            kind,
            namespace,
            labels=self.labels if selected else None,
            resource_version=stream.version,
            timeout_seconds=self.slice_seconds,
        )
        for kind_of_event, obj in events:
            self._dispatch(stream, kind_of_event, obj)
            if self._closed:
                return

    def _dispatch(self, stream: _Stream, event: str, obj: KubeObject) -> None:
        name = name_of(obj)
        with self._lock:
            stream.version = _meta(obj).get("resourceVersion") or stream.version
            stream.objects[name] = (event == "DELETED", obj)
            for watcher in self._interest.get((stream.key, name), ()):
                watcher.wake()

    def _give_up(self, stream: _Stream, why: str) -> None:
        with self._lock:
            stream.running = False
            stream.stopped = why
            for watcher in stream.followers:
                watcher.wake()


class Watcher:
    """One wait's view of the hub: the objects it follows, woken only by their changes."""

    def __init__(self, hub: WatchHub) -> None:
        self.hub = hub
        self._changed = threading.Condition(hub._lock)
        self._dirty = False
        self._targets: set[tuple[StreamKey, str]] = set()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.hub._unfollow(self, self._targets)
        self._targets.clear()

    def follow(self, obj: KubeObject) -> None:
        target = (self.hub.stream_of(obj), name_of(obj))
        if target not in self._targets:
            self._targets.add(target)
            self.hub._follow(self, *target)

    def latest(self, obj: KubeObject) -> Seen | None:
        """The last state the stream saw of ``obj`` (followed first), None if none yet."""
        return self.hub._latest(self.hub.stream_of(obj), name_of(obj))

    def stopped(self, obj: KubeObject) -> str | None:
        """Why the stream of ``obj``'s kind gave up, if it has: then read it directly."""
        return self.hub._stopped(self.hub.stream_of(obj))

    def wait(self, seconds: float) -> None:
        """Until a followed object changed (since the last wait) or ``seconds`` passed."""
        with self._changed:
            if not self._dirty:
                self._changed.wait(max(0.0, seconds))
            self._dirty = False

    def wake(self) -> None:
        """Called by the hub with its lock held."""
        self._dirty = True
        self._changed.notify()
