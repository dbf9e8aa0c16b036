"""An application's logs: every pod of the selected services, lines merged by time.

``open_logs`` starts a ``LogTail``; ``poll`` hands out what arrived, ``close`` ends it (from
any thread). The CLI iterates ``app_logs``; the API and the console poll a tail from a
worker thread between two Server-Sent Events, so a client that goes away closes it.

- Without ``follow``: each container's last lines (``tail``, ``since``, ``previous``) are
  read once, merged by the kubelet's timestamps, and the tail finishes.
- With ``follow``: the same first, then one streamed log per container, and a watch on the
  app's pods starts a stream for each pod (or restarted container) that appears. A
  stream's first lines up to the last one already shown are skipped, so nothing shows
  twice. It finishes after ``follow_for`` seconds or when closed (Ctrl-C).

Everything is bounded: lines per container (``MAX_TAIL``), streams (``MAX_STREAMS``),
buffered lines (``BUFFER``), a line's length (``kapstan.kube.logstreams.MAX_LINE``) and how
long a follow lasts. A container whose node serves no logs, or that has not started, is a
``LogNotice``, not a failure.
"""

from __future__ import annotations

import math
import queue
import re
import threading
import time
from collections.abc import Callable, Generator
from contextlib import ExitStack, closing
from dataclasses import dataclass
from functools import partial

from kapstan.actions.diagnose import AppScope, app_pods, app_scope, open_cluster
from kapstan.actions.status import Connector
from kapstan.actions.storeports import RenderInputs
from kapstan.errors import ClusterInvalidError, ClusterUnavailableError, InputError, KapstanError
from kapstan.health.objects import KubeObject, items, mapping, text
from kapstan.kube import KubeClient, RetryPolicy, connect
from kapstan.model.durations import parse_duration
from kapstan.render.labels import APP_LABEL, SERVICE_LABEL

MAX_TAIL = 10_000  # lines per container when no --tail is given
FOLLOW_TAIL = 10  # lines per container before following, as ``kubectl logs -l ... -f``
MAX_STREAMS = 64
BUFFER = 10_000
MAX_FOLLOW_SECONDS = 3600.0
WATCH_SECONDS = 30  # each pod watch; the next one starts where it ended
PAUSE = 2.0  # after a failed pod watch
REOPEN_PAUSE = 0.5  # between two opens of a follow that went quiet
JOIN_SECONDS = 7.0  # over logstreams.FOLLOW_IDLE: a reader waiting for headers gives up
LOG_TIMEOUT = 30.0
RETRY = RetryPolicy(max_attempts=2, max_total=5.0)
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$")


@dataclass(frozen=True)
class LogQuery:
    services: tuple[str, ...] = ()  # none: every service
    follow: bool = False
    since_seconds: int | None = None
    tail: int | None = None  # lines per container
    previous: bool = False  # the last terminated container's log
    follow_for: float = MAX_FOLLOW_SECONDS


@dataclass(frozen=True)
class LogLine:
    service: str
    pod: str
    container: str
    time: str  # the kubelet's RFC 3339 timestamp; "" if the line came without one
    text: str
    containers: int = 1  # how many containers the pod has (the prefix names one if several)

    @property
    def source(self) -> str:
        """``service/pod``, and ``/container`` when the pod has several."""
        lead = f"{self.service}/{self.pod}"
        return f"{lead}/{self.container}" if self.containers > 1 else lead


@dataclass(frozen=True)
class LogNotice:
    """Something about the logs rather than a line: a container with no log to read, a new
    pod followed, the follow's end."""

    service: str
    pod: str
    container: str
    message: str


LogItem = LogLine | LogNotice


def since_seconds(text: str) -> int:
    """``--since`` / ``since=``: a duration as everywhere (``10m``, ``1h30m``, plain seconds)
    in whole seconds, at least one; InputError saying what would do."""
    seconds = parse_duration(text)
    if seconds < 1:
        raise InputError(f"since {text!r} is under a second; give at least 1s")
    return math.ceil(seconds)


def sort_key(stamp: str) -> str:
    """A timestamp that sorts as text: the fraction padded to nanoseconds ("" first)."""
    match = _STAMP.match(stamp)
    if not match:
        return stamp
    return f"{match[1]}.{(match[2] or '').ljust(9, '0')}Z"


def split_stamp(raw: str) -> tuple[str, str]:
    """A kubelet line asked ``timestamps=true``: (timestamp, text); ("", raw) if it has none."""
    stamp, _, rest = raw.partition(" ")
    return (stamp, rest) if _STAMP.match(stamp) else ("", raw)


@dataclass(frozen=True)
class _Source:
    service: str
    pod: str
    container: str
    containers: int
    instance: str  # the container's id: a restart is a new one, with a log of its own

    def line(self, raw: str) -> LogLine:
        stamp, rest = split_stamp(raw)
        return LogLine(self.service, self.pod, self.container, stamp, rest, self.containers)

    def notice(self, message: str) -> LogNotice:
        return LogNotice(self.service, self.pod, self.container, message)


def _sources(service: str, pod: KubeObject) -> list[_Source]:
    names = [text(c, "name") for c in items(pod, "spec", "containers")]
    ids = {
        text(s, "name"): text(s, "containerID") for s in items(pod, "status", "containerStatuses")
    }
    pod_name = text(pod, "metadata", "name")
    return [_Source(service, pod_name, n, len(names), ids.get(n, "")) for n in names]


def _started(pod: KubeObject) -> bool:
    """Whether the pod's containers have (or had) a log: not while it waits to start."""
    return text(pod, "status", "phase") in ("Running", "Succeeded", "Failed")


class LogTail:
    """The lines of one ``LogQuery`` as they come; see the module's docstring."""

    def __init__(self, kube: KubeClient, scope: AppScope, query: LogQuery, stack: ExitStack):
        self._kube = kube
        self._scope = scope
        self._query = query
        self._stack = stack
        self._out: queue.Queue[LogItem] = queue.Queue(maxsize=BUFFER)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._streams: set[tuple[str, str, str]] = set()  # (pod, container, instance) read
        self._lock = threading.Lock()
        self._deadline = time.monotonic() + max(0.0, query.follow_for)
        self._first: list[LogItem] = []
        self._last: dict[tuple[str, str], str] = {}  # (pod, container) -> last key shown
        self._untimed: set[tuple[str, str]] = set()  # shown lines had no timestamp
        self._finished = False

    # -- the caller's side ------------------------------------------------------------------

    def poll(self, timeout: float) -> list[LogItem] | None:
        """What arrived within ``timeout`` seconds (perhaps nothing); None once finished."""
        if self._first:
            first, self._first = self._first, []
            return first
        if self._finished:
            return None
        if not self._query.follow:
            self._finished = True
            return None
        remaining = self._deadline - time.monotonic()
        if self._stop.is_set():
            self._finished = True
            return None
        if remaining <= 0:
            self._finished = True
            seconds = f"{self._query.follow_for:g}"
            return [LogNotice("", "", "", f"stopped following after {seconds} s")]
        try:
            got = [self._out.get(timeout=max(0.0, min(timeout, remaining)))]
        except queue.Empty:
            return []
        while len(got) < 1000:
            try:
                got.append(self._out.get_nowait())
            except queue.Empty:
                break
        return got

    def close(self, *, wait: bool = True) -> None:
        """Stop every stream and the pod watch. Closing the client wakes the readers of
        open streams; one still waiting for the kubelet's first byte (a quiet container's
        follow) gives up within ``logstreams.FOLLOW_IDLE``. ``wait``: join them (bounded);
        a process about to exit need not."""
        with self._lock:
            self._stop.set()
        self._stack.close()
        deadline = time.monotonic() + (JOIN_SECONDS if wait else 0.0)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    # -- reading ----------------------------------------------------------------------------

    def start(self) -> None:
        pods = app_pods(self._kube, self._scope)
        sources = [src for svc, found in pods.items() for p in found for src in _sources(svc, p)]
        lines: list[LogLine] = []
        for source in sources[:MAX_STREAMS]:
            lines += self._read_once(source)
        if len(sources) > MAX_STREAMS:
            self._first.append(
                LogNotice("", "", "", f"{len(sources) - MAX_STREAMS} containers not read")
            )
        lines.sort(key=lambda line: sort_key(line.time))
        self._first += lines
        if self._query.follow:
            for service, found in pods.items():
                for pod in found:
                    self._follow_pod(service, pod, quiet=True)
            self._spawn(self._watch_pods, "kapstan-logs-pods")

    def _tail(self, default: int) -> int:
        wanted = self._query.tail
        return min(max(0, wanted if wanted is not None else default), MAX_TAIL)

    def _read_once(self, source: _Source) -> list[LogLine]:
        tail = self._tail(FOLLOW_TAIL if self._query.follow else MAX_TAIL)
        try:
            found = [source.line(raw) for raw in self._lines(source, follow=False, tail=tail)]
        except KapstanError as exc:
            self._first.append(source.notice(_why_none(exc)))
            return []
        if found and found[-1].time:
            self._last[(source.pod, source.container)] = sort_key(found[-1].time)
        elif found:
            self._untimed.add((source.pod, source.container))
        return found

    def _lines(
        self, source: _Source, *, follow: bool, tail: int | None
    ) -> Generator[str, None, None]:
        return self._kube.stream_logs(
            self._scope.environment.namespace,
            source.pod,
            source.container,
            follow=follow,
            tail_lines=tail,
            since_seconds=self._query.since_seconds,
            previous=self._query.previous,
            timestamps=True,
        )

    def _follow_pod(self, service: str, pod: KubeObject, *, quiet: bool = False) -> None:
        if not _started(pod):
            return
        for source in _sources(service, pod):
            key = (source.pod, source.container, source.instance)
            with self._lock:
                known, full = key in self._streams, len(self._streams) >= MAX_STREAMS
                if not known and not full:
                    self._streams.add(key)
            if known:
                continue
            if full:
                self._put(source.notice(f"not followed: over {MAX_STREAMS} streams"))
                return
            if not quiet:
                self._put(source.notice("following"))
            self._spawn(partial(self._follow, source), f"kapstan-logs-{source.pod}")

    def _follow(self, source: _Source) -> None:
        """One container's stream, opened again each time it goes quiet (``FOLLOW_IDLE``)
        until the tail stops; the kubelet ending it means the container stopped."""
        where = (source.pod, source.container)
        while not self._stop.is_set():
            try:
                self._read_follow(source, self._last.get(where))
                return
            except ClusterInvalidError:
                with self._lock:  # not started yet: the next change of the pod tries again
                    self._streams.discard((source.pod, source.container, source.instance))
                return
            except ClusterUnavailableError:  # quiet for a while, or the kubelet briefly away
                self._stop.wait(REOPEN_PAUSE)
            except KapstanError as exc:
                if not self._stop.is_set():
                    self._put(source.notice(_why_none(exc)))
                return

    def _read_follow(self, source: _Source, seen: str | None) -> None:
        where = (source.pod, source.container)
        if seen is not None:  # replay what was shown, and skip it
            tail = self._tail(FOLLOW_TAIL)
        elif where in self._untimed:  # cannot be matched to what was shown: new lines only
            tail = 0
        else:  # a new pod or restarted container, or an empty log: from its start
            tail = self._tail(MAX_TAIL)
        with closing(self._lines(source, follow=True, tail=tail)) as lines:
            for raw in lines:
                if self._stop.is_set():
                    return
                line = source.line(raw)
                if seen is not None and line.time and sort_key(line.time) <= seen:
                    continue  # shown already
                seen = None
                if line.time:
                    self._last[where] = sort_key(line.time)
                else:
                    self._untimed.add(where)
                self._put(line)

    def _watch_pods(self) -> None:
        namespace, labels = self._scope.environment.namespace, {APP_LABEL: self._scope.app}
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            seconds = int(min(WATCH_SECONDS, max(1.0, self._deadline - time.monotonic())))
            try:
                for kind, pod in self._kube.watch(
                    "v1", "Pod", namespace, labels=labels, timeout_seconds=seconds
                ):
                    if self._stop.is_set():
                        return
                    service = mapping(pod, "metadata", "labels").get(SERVICE_LABEL)
                    if kind != "DELETED" and service in self._scope.objects:
                        self._follow_pod(service, pod)
            except KapstanError as exc:
                if self._stop.is_set():
                    return
                self._put(LogNotice("", "", "", f"watching the pods: {exc.message}"))
                self._stop.wait(PAUSE)

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self._lock:  # none starts once closing began: ``close`` joins them all
            if self._stop.is_set():
                return
            self._threads.append(thread)
            thread.start()

    def _put(self, item: LogItem) -> None:
        """Into the buffer; a full buffer holds the reader back (the kubelet's stream waits)."""
        while not self._stop.is_set():
            try:
                self._out.put(item, timeout=0.5)
                return
            except queue.Full:
                continue


def _why_none(exc: KapstanError) -> str:
    if isinstance(exc, ClusterUnavailableError):
        return f"no logs: the node does not serve them ({exc.message})"
    if isinstance(exc, ClusterInvalidError):
        return f"no logs yet: {exc.message}"
    return f"no logs: {exc.message}"


def open_logs(
    store: RenderInputs, app: str, query: LogQuery, *, clients: Connector = connect
) -> LogTail:
    """A started tail (its first lines read); the caller polls it, then closes it."""
    scope = app_scope(store, app, query.services)
    stack = ExitStack()
    try:
        kube = stack.enter_context(open_cluster(scope, clients, timeout=LOG_TIMEOUT, retry=RETRY))
        tail = LogTail(kube, scope, query, stack)
        tail.start()
    except KapstanError as exc:
        stack.close()
        raise type(exc)(
            f"cluster of environment {scope.environment.name} cannot be read: {exc.message}"
        ) from exc
    except BaseException:
        stack.close()
        raise
    return tail


def app_logs(
    store: RenderInputs, app: str, query: LogQuery, *, clients: Connector = connect
) -> Generator[LogItem, None, None]:
    """Each line (and notice) as it comes; closing the iterator ends the follow at once (the
    command's process exits: its readers need not be waited for)."""
    tail = open_logs(store, app, query, clients=clients)
    try:
        while (got := tail.poll(0.5)) is not None:
            yield from got
    finally:
        tail.close(wait=False)
