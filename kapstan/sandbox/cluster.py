"""One sandbox: a real control plane on loopback, its state in one directory.

up:   binaries -> PKI -> etcd -> kube-apiserver (/readyz) -> kubeconfig
      -> controller-manager, scheduler -> kwok's CRDs -> kwok (stages, logs, usage; its
      kubelet-like server on 127.0.0.1:kwok_port) -> fake nodes (Ready) -> default SA
      -> simulated usage (``usage``)
      (``metrics=True``: then metrics-server, registered as ``metrics.k8s.io``, Available)
      (``audit=True``: the apiserver also logs every request, at Metadata level, to
      ``audit.log``, so a benchmark can count exactly which client made which requests)
down: stop each recorded pid (newest first) -> remove the state directory
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from kapstan.errors import SandboxError
from kapstan.sandbox import (
    api,
    certs,
    crds,
    custommetrics,
    metrics,
    podlogs,
    processes,
    stages,
    usage,
    versions,
)
from kapstan.sandbox.build import ensure_adapter, ensure_binaries

DEFAULT_NAME = "default"
SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"
READY_TIMEOUT = 90.0
HPA_SYNC_PERIOD = "3s"
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
    kwok_port: int = 0  # kwok's kubelet-like server (logs, /metrics/resource), every node's
    metrics: bool = False  # whether metrics-server serves metrics.k8s.io
    # Whether Prometheus + prometheus-adapter serve custom.metrics.k8s.io (custommetrics).
    custom_metrics: bool = False
    # kube-controller-manager's client rate limit (requests/s, burst twice that); 0: its
    # default, 20. Each controller (deployment, replicaset...) has a client of its own, and
    # the deployment controller's bounds how fast many Deployments report Available.
    controller_qps: float = 0.0

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
    name: str = DEFAULT_NAME,
    nodes: int = 3,
    progress: Progress = print,
    *,
    audit: bool = False,
    metrics: bool = False,
    custom_metrics: bool = False,
    controller_qps: float = 0.0,
) -> SandboxState:
    """Start a sandbox and wait until it is usable; on failure stop what was started.

    ``metrics``: also run metrics-server (``kubectl top``, HPAs on CPU and memory); it
    costs a process and the wait for the aggregator to find it, so it is optional.
    ``custom_metrics``: also run Prometheus and prometheus-adapter (HPAs on the per-pod
    ``network_receive_bytes_per_second`` that ``set_usage(network=)`` simulates).
    ``controller_qps``: kube-controller-manager's client rate limit (0: its default, 20/s),
    the same for every client of the sandbox (``bench/bench_deploy.py --controller-qps``).
    """
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
    if custom_metrics:
        custommetrics.prometheus_binary()  # missing: say so before starting anything
        ensure_adapter(progress)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    state = SandboxState(
        name=name,
        directory=str(directory),
        apiserver_port=processes.free_port(),
        etcd_port=processes.free_port(),
        nodes=nodes,
        kwok_port=processes.free_port(),
        metrics=metrics,
        custom_metrics=custom_metrics,
        controller_qps=controller_qps,
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


def _peer_flags(pki: certs.PKI) -> list[str]:
    """How the apiserver reaches kwok's kubelet server (logs) and aggregated APIs (metrics)."""
    return [
        f"--kubelet-client-certificate={pki.kubelet_client_cert}",
        f"--kubelet-client-key={pki.kubelet_client_key}",
        f"--kubelet-certificate-authority={pki.ca_cert}",
        "--kubelet-preferred-address-types=InternalIP",
        f"--requestheader-client-ca-file={pki.front_proxy_ca_cert}",
        f"--requestheader-allowed-names={certs.FRONT_PROXY_CLIENT}",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-username-headers=X-Remote-User",
        f"--proxy-client-cert-file={pki.front_proxy_client_cert}",
        f"--proxy-client-key-file={pki.front_proxy_client_key}",
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
            *_peer_flags(pki),
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
            # HPAs act within seconds of a test raising simulated usage, not minutes.
            f"--horizontal-pod-autoscaler-sync-period={HPA_SYNC_PERIOD}",
            "--horizontal-pod-autoscaler-cpu-initialization-period=10s",
            "--horizontal-pod-autoscaler-initial-readiness-delay=5s",
            *_controller_rate(state.controller_qps),
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
    client.install_crds(crds.definitions(), state.processes, READY_TIMEOUT)
    _start_kwok(state, bins, pki)
    client.create_default_storage_class(stages.STORAGE_CLASS, stages.PROVISIONER)
    for i in range(state.nodes):
        node = f"kwok-node-{i}"
        path = usage.METRICS_PATH.replace("{nodeName}", node)
        client.create_node(node, stages.NODE_CAPACITY, {usage.METRICS_PATH_ANNOTATION: path})
    client.apply(usage.object_path(), usage.usage_object([]))
    client.wait_nodes_ready(state.nodes, state.processes, READY_TIMEOUT)
    client.wait_default_service_account(state.processes, READY_TIMEOUT)
    if state.metrics:
        _start_metrics_server(state, bins, pki, client)
        progress("metrics-server serving metrics.k8s.io")
    if state.custom_metrics:
        _start_custom_metrics(state, pki, client)
        progress("Prometheus and prometheus-adapter serving custom.metrics.k8s.io")


def _controller_rate(qps: float) -> list[str]:
    if qps <= 0:
        return []
    return [f"--kube-api-qps={qps:g}", f"--kube-api-burst={max(1, round(2 * qps))}"]


def _start_kwok(state: SandboxState, bins: versions.Binaries, pki: certs.PKI) -> None:
    d = Path(state.directory)
    podlogs.root(d).mkdir(parents=True, exist_ok=True)
    (podlogs.root(d) / podlogs.EMPTY_LOG).touch()
    config = d / "kwok-stages.yaml"
    # The custom metrics path is always served (static, free): Prometheus and the adapter
    # can then be started on a running sandbox (``start_custom_metrics``).
    served = [podlogs.default_cluster_logs(d), usage.metric_object(), custommetrics.metric_object()]
    stages.write(str(config), served)
    processes.ensure_port_free(state.kwok_port, "kwok")
    _start(
        state,
        "kwok",
        [
            str(bins.kwok),
            f"--kubeconfig={state.kubeconfig}",
            f"--config={config}",
            f"--enable-crds={crds.enabled_kinds()}",
            "--manage-all-nodes=true",
            f"--cidr={POD_CIDR}",
            "--node-ip=127.0.0.1",
            # Every node's daemonEndpoints port: where the apiserver asks for logs.
            f"--node-port={state.kwok_port}",
            "--node-lease-duration-seconds=40",
            f"--server-address=127.0.0.1:{state.kwok_port}",
            f"--tls-cert-file={pki.kubelet_cert}",
            f"--tls-private-key-file={pki.kubelet_key}",
        ],
    )


def _start_metrics_server(
    state: SandboxState, bins: versions.Binaries, pki: certs.PKI, client: api.SandboxClient
) -> None:
    port = processes.free_port()
    rec = _start(
        state, "metrics-server", metrics.argv(bins.metrics_server, pki, state.kubeconfig, port)
    )
    # Registered once it answers, so the aggregator's first check finds it up.
    api.wait_http(f"https://127.0.0.1:{port}/livez", rec, READY_TIMEOUT, api.admin_tls(pki))
    for collection, obj in metrics.rbac():
        client.apply(f"{collection}/{obj['metadata']['name']}", obj)
    svc = metrics.service(port)
    client.apply(f"/api/v1/namespaces/{metrics.NAMESPACE}/services/{metrics.SERVICE}", svc)
    ca = base64.b64encode(pki.ca_cert.read_bytes()).decode()
    path = f"/apis/apiregistration.k8s.io/v1/apiservices/{metrics.API_SERVICE}"
    client.apply(path, metrics.api_service(port, ca))

    def check() -> tuple[bool, str]:
        return metrics.available(client.get(path))

    client.wait_until(
        f"APIService {metrics.API_SERVICE} Available", check, state.processes, READY_TIMEOUT
    )


def start_custom_metrics(state: SandboxState, progress: Progress = print) -> None:
    """Prometheus and prometheus-adapter on a running sandbox (what ``up(custom_metrics=True)``
    starts): a test module that needs custom metrics adds them to the session's sandbox."""
    if state.custom_metrics:
        return
    custommetrics.prometheus_binary()
    ensure_adapter(progress)
    state.custom_metrics = True
    client = api.SandboxClient(state.server, certs.paths(Path(state.directory) / "pki"))
    try:
        _start_custom_metrics(state, certs.paths(Path(state.directory) / "pki"), client)
    finally:
        client.close()
        state.save()  # even half-started: `down` stops only the processes the state names


def _start_custom_metrics(state: SandboxState, pki: certs.PKI, client: api.SandboxClient) -> None:
    d = Path(state.directory)
    nodes = [f"kwok-node-{i}" for i in range(state.nodes)]
    config = d / "prometheus.yaml"
    config.write_text(
        yaml.safe_dump(custommetrics.prometheus_config(state.kwok_port, nodes, pki.ca_cert))
    )
    prom_port = processes.free_port()
    prom = _start(
        state,
        "prometheus",
        custommetrics.prometheus_argv(
            custommetrics.prometheus_binary(), config, d / "prometheus", prom_port
        ),
    )
    api.wait_http(f"http://127.0.0.1:{prom_port}/-/ready", prom, READY_TIMEOUT)
    rules = d / "prometheus-adapter.yaml"
    rules.write_text(yaml.safe_dump(custommetrics.adapter_config()))
    port = processes.free_port()
    argv = custommetrics.adapter_argv(
        versions.adapter_binary(),
        rules,
        state.kubeconfig,
        pki.metrics_server_cert,
        pki.metrics_server_key,
        port,
        prom_port,
    )
    rec = _start(state, "prometheus-adapter", argv)
    api.wait_http(f"https://127.0.0.1:{port}/healthz", rec, READY_TIMEOUT, api.admin_tls(pki))
    for collection, obj in custommetrics.rbac():
        client.apply(f"{collection}/{obj['metadata']['name']}", obj)
    svc = custommetrics.service(port)
    client.apply(
        f"/api/v1/namespaces/{custommetrics.NAMESPACE}/services/{custommetrics.SERVICE}", svc
    )
    ca = base64.b64encode(pki.ca_cert.read_bytes()).decode()
    for obj in custommetrics.api_services(port, ca):
        path = f"/apis/apiregistration.k8s.io/v1/apiservices/{obj['metadata']['name']}"
        client.apply(path, obj)

        def check(path: str = path) -> tuple[bool, str]:
            return metrics.available(client.get(path))

        client.wait_until(
            f"APIService {obj['metadata']['name']} Available",
            check,
            state.processes,
            READY_TIMEOUT,
        )


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
