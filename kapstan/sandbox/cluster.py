"""One sandbox: a real control plane on loopback, its state in one directory.

up:   binaries -> PKI -> etcd -> kube-apiserver (/readyz) -> kubeconfig
      -> controller-manager, scheduler, kwok -> fake nodes (Ready) -> default SA
      (``audit=True``: the apiserver also logs every request, at Metadata level, to
      ``audit.log``, so a benchmark can count exactly which client made which requests)
down: stop each recorded pid (newest first) -> remove the state directory
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from kapstan.errors import SandboxError
from kapstan.sandbox import api, certs, processes, stages, versions
from kapstan.sandbox.build import ensure_binaries

DEFAULT_NAME = "default"
SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"
READY_TIMEOUT = 90.0
# Every request once, when its response is complete (long watches: when they start too).
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [{"level": "Metadata"}],
}
AUDIT_LOG_MAX_MB = 20000  # the log is never rotated during a sandbox's life
_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")

Progress = Callable[[str], None]


@dataclass
class SandboxState:
    """What ``up`` wrote to ``state.json``; ``down`` and ``status`` read it back."""

    name: str
    directory: str
    apiserver_port: int
    etcd_port: int
    nodes: int
    processes: list[processes.ProcessRecord] = field(default_factory=list)

    @property
    def kubeconfig(self) -> Path:
        return Path(self.directory) / "kubeconfig"

    @property
    def audit_log(self) -> Path:
        """The apiserver's audit log (JSON lines); written only by a sandbox up with ``audit``."""
        return Path(self.directory) / "audit.log"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.apiserver_port}"

    def save(self) -> None:
        path = Path(self.directory) / "state.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)

    @classmethod
    def load(cls, directory: Path) -> SandboxState:
        raw = json.loads((directory / "state.json").read_text())
        raw["processes"] = [processes.ProcessRecord(**p) for p in raw["processes"]]
        return cls(**raw)


def validate_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise SandboxError(
            f"sandbox name {name!r} is not valid: use 1-32 lower-case letters, digits and '-'"
        )
    return name


def sandbox_dir(name: str) -> Path:
    return versions.state_root() / validate_name(name)


def load(name: str = DEFAULT_NAME) -> SandboxState | None:
    directory = sandbox_dir(name)
    if not (directory / "state.json").exists():
        return None
    return SandboxState.load(directory)


def list_sandboxes() -> list[SandboxState]:
    root = versions.state_root()
    if not root.exists():
        return []
    return [SandboxState.load(d) for d in sorted(root.iterdir()) if (d / "state.json").exists()]


def up(
    name: str = DEFAULT_NAME, nodes: int = 3, progress: Progress = print, *, audit: bool = False
) -> SandboxState:
    """Start a sandbox and wait until it is usable; on failure stop what was started."""
    if nodes < 1 or nodes > 100:
        raise SandboxError(f"--nodes must be between 1 and 100, not {nodes}")
    directory = sandbox_dir(name)
    existing = load(name)
    if existing is not None:
        if all(processes.is_running(p) for p in existing.processes):
            raise SandboxError(
                f"sandbox {name!r} is already running (kubeconfig {existing.kubeconfig}); "
                f"`kapstan sandbox down --name {name}` first, or pick another --name"
            )
        down(name)
    bins = ensure_binaries(progress)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    state = SandboxState(
        name=name,
        directory=str(directory),
        apiserver_port=processes.free_port(),
        etcd_port=processes.free_port(),
        nodes=nodes,
    )
    try:
        _start_all(state, bins, progress, audit)
    except BaseException:
        down(name)
        raise
    return state


def _start(state: SandboxState, component: str, argv: list[str]) -> processes.ProcessRecord:
    rec = processes.start(component, argv, Path(state.directory) / "logs" / f"{component}.log")
    state.processes.append(rec)
    state.save()
    return rec


def _audit_flags(state: SandboxState) -> list[str]:
    policy = Path(state.directory) / "audit-policy.yaml"
    policy.write_text(yaml.safe_dump(AUDIT_POLICY, sort_keys=False))
    return [
        f"--audit-policy-file={policy}",
        f"--audit-log-path={state.audit_log}",
        f"--audit-log-maxsize={AUDIT_LOG_MAX_MB}",
    ]


def _start_all(
    state: SandboxState, bins: versions.Binaries, progress: Progress, audit: bool
) -> None:
    d = Path(state.directory)
    started = time.monotonic()
    pki = certs.generate(d / "pki")
    processes.ensure_port_free(state.etcd_port, "etcd")
    processes.ensure_port_free(state.apiserver_port, "kube-apiserver")
    peer = processes.free_port()
    etcd = _start(
        state,
        "etcd",
        [
            str(bins.etcd),
            "--name=sandbox",
            f"--data-dir={d / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{state.etcd_port}",
            f"--advertise-client-urls=http://127.0.0.1:{state.etcd_port}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=sandbox=http://127.0.0.1:{peer}",
            "--unsafe-no-fsync=true",
            "--quota-backend-bytes=2147483648",
            "--log-level=warn",
        ],
    )
    api.wait_http(f"http://127.0.0.1:{state.etcd_port}/health", etcd, READY_TIMEOUT)
    progress(f"etcd ready on 127.0.0.1:{state.etcd_port}")
    apiserver = _start(
        state,
        "kube-apiserver",
        [
            str(bins.kube_apiserver),
            f"--etcd-servers=http://127.0.0.1:{state.etcd_port}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={state.apiserver_port}",
            f"--cert-dir={d / 'pki'}",
            f"--tls-cert-file={pki.apiserver_cert}",
            f"--tls-private-key-file={pki.apiserver_key}",
            f"--client-ca-file={pki.ca_cert}",
            f"--service-account-key-file={pki.sa_pub}",
            f"--service-account-signing-key-file={pki.sa_key}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--authorization-mode=Node,RBAC",
            "--allow-privileged=true",
            "--profiling=false",
            "--enable-priority-and-fairness=false",
            "--event-ttl=2h",
            *(_audit_flags(state) if audit else []),
        ],
    )
    client = api.SandboxClient(state.server, pki)
    try:
        _start_rest(state, bins, pki, client, apiserver, progress)
    finally:
        client.close()
    progress(
        f"{state.nodes} nodes Ready; sandbox {state.name!r} up in {time.monotonic() - started:.1f}s"
    )
    progress(f"kubeconfig: {state.kubeconfig}")


def _start_rest(
    state: SandboxState,
    bins: versions.Binaries,
    pki: certs.PKI,
    client: api.SandboxClient,
    apiserver: processes.ProcessRecord,
    progress: Progress,
) -> None:
    d = Path(state.directory)
    client.wait_ready(apiserver, READY_TIMEOUT)
    progress(f"kube-apiserver ready on {state.server}")
    _write_kubeconfig(state, pki)
    kubeconfig = str(state.kubeconfig)
    _start(
        state,
        "kube-controller-manager",
        [
            str(bins.kube_controller_manager),
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            "--bind-address=127.0.0.1",
            f"--secure-port={processes.free_port()}",
            "--leader-elect=false",
            f"--service-account-private-key-file={pki.sa_key}",
            f"--root-ca-file={pki.ca_cert}",
            f"--cluster-signing-cert-file={pki.ca_cert}",
            f"--cluster-signing-key-file={pki.ca_key}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--controllers=*",
            "--use-service-account-credentials=false",
            "--profiling=false",
        ],
    )
    _start(
        state,
        "kube-scheduler",
        [
            str(bins.kube_scheduler),
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            "--bind-address=127.0.0.1",
            f"--secure-port={processes.free_port()}",
            "--leader-elect=false",
            "--profiling=false",
        ],
    )
    stage_file = d / "kwok-stages.yaml"
    stages.write(str(stage_file))
    _start(
        state,
        "kwok",
        [
            str(bins.kwok),
            f"--kubeconfig={kubeconfig}",
            f"--config={stage_file}",
            "--manage-all-nodes=true",
            f"--cidr={POD_CIDR}",
            "--node-ip=127.0.0.1",
            "--node-lease-duration-seconds=40",
            f"--server-address=127.0.0.1:{processes.free_port()}",
        ],
    )
    client.create_default_storage_class(stages.STORAGE_CLASS, stages.PROVISIONER)
    for i in range(state.nodes):
        client.create_node(f"kwok-node-{i}")
    client.wait_nodes_ready(state.nodes, state.processes, READY_TIMEOUT)
    client.wait_default_service_account(state.processes, READY_TIMEOUT)


def _write_kubeconfig(state: SandboxState, pki: certs.PKI) -> None:
    ctx = f"kapstan-{state.name}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": ctx,
                "cluster": {"server": state.server, "certificate-authority": str(pki.ca_cert)},
            }
        ],
        "users": [
            {
                "name": ctx,
                "user": {
                    "client-certificate": str(pki.admin_cert),
                    "client-key": str(pki.admin_key),
                },
            }
        ],
        "contexts": [
            {"name": ctx, "context": {"cluster": ctx, "user": ctx, "namespace": "default"}}
        ],
        "current-context": ctx,
    }
    state.kubeconfig.write_text(yaml.safe_dump(config, sort_keys=False))
    state.kubeconfig.chmod(0o600)


def down(name: str = DEFAULT_NAME) -> bool:
    """Stop the processes this sandbox started (by pid) and remove its state. False if none."""
    directory = sandbox_dir(name)
    if not directory.exists():
        return False
    if (directory / "state.json").exists():
        state = SandboxState.load(directory)
        for rec in reversed(state.processes):
            processes.stop(rec)
    shutil.rmtree(directory, ignore_errors=True)
    return True


@dataclass(frozen=True)
class ComponentStatus:
    component: str
    pid: int
    running: bool
    rss_bytes: int


def status(state: SandboxState) -> list[ComponentStatus]:
    return [
        ComponentStatus(p.component, p.pid, processes.is_running(p), processes.rss_bytes(p))
        for p in state.processes
    ]
