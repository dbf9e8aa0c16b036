"""Container logs of sandbox pods: files on disk that kwok's kubelet-like server reads.

The apiserver's pod log endpoint (``kubectl logs``) asks the node's kubelet; on the sandbox
that is kwok's server (every node's ``daemonEndpoints`` port on 127.0.0.1). kwok answers
from files named by ``Logs`` objects (one per pod, by name) or, failing that, by the
``ClusterLogs`` below, whose file is empty: a pod nobody wrote lines for has empty logs, as a
quiet container would.

Files use the kubelet's layout and CRI format, so log collectors read them as on a node:

    <sandbox>/pod-logs/<namespace>_<pod>_<uid>/<container>/0.log          current container
    <sandbox>/pod-logs/<namespace>_<pod>_<uid>/<container>/previous/0.log  the one before
    2026-12-06T02:47:33.123456789Z stdout F the line
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from kapstan.sandbox import crds

Stream = Literal["stdout", "stderr"]
LOGS_DIR = "pod-logs"
EMPTY_LOG = "empty.log"


def root(directory: Path) -> Path:
    return directory / LOGS_DIR


def container_file(
    directory: Path, namespace: str, pod: str, uid: str, container: str, previous: bool = False
) -> Path:
    """The file holding one container's log (``previous``: the container before a restart)."""
    folder = root(directory) / f"{namespace}_{pod}_{uid}" / container
    return (folder / "previous" / "0.log") if previous else folder / "0.log"


def cri_lines(lines: Iterable[str], stream: Stream, at: dt.datetime) -> str:
    """``lines`` in the CRI log format the kubelet writes (one full line each, ``F``)."""
    stamp = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
    out: list[str] = []
    for line in lines:
        # A record is one line: text holding newlines becomes several records.
        out.extend(f"{stamp} {stream} F {part}\n" for part in line.split("\n"))
    return "".join(out)


def default_cluster_logs(directory: Path) -> dict[str, Any]:
    """kwok's fallback for pods without a ``Logs`` object: one empty file."""
    return {
        "apiVersion": crds.API_VERSION,
        "kind": "ClusterLogs",
        "metadata": {"name": "kapstan-sandbox-empty-logs"},
        "spec": {
            "selector": {},
            "logs": [{"logsFile": str(root(directory) / EMPTY_LOG), "follow": True}],
        },
    }


def logs_object(directory: Path, pod: dict[str, Any]) -> dict[str, Any]:
    """The ``Logs`` object pointing each container of ``pod`` at its files; owned by the pod."""
    meta = pod["metadata"]
    ns, name, uid = meta["namespace"], meta["name"], meta["uid"]
    containers = [c["name"] for c in pod["spec"].get("containers", [])]
    containers += [c["name"] for c in pod["spec"].get("initContainers", [])]
    return {
        "apiVersion": crds.API_VERSION,
        "kind": "Logs",
        "metadata": {
            "name": name,
            "namespace": ns,
            # Deleted with the pod by the garbage collector, like a node's log files.
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": name, "uid": uid}],
        },
        "spec": {
            "logs": [
                {
                    "containers": [c],
                    "logsFile": str(container_file(directory, ns, name, uid, c)),
                    "previousLogsFile": str(container_file(directory, ns, name, uid, c, True)),
                    "follow": True,
                }
                for c in containers
            ]
        },
    }
