"""One compose service to a Kapstan service: a Deployment (or a Job), its Service and PVCs.

The one place that records: the key rules live in ``composedeps``, ``composehealth``,
``composevolumes`` and ``composeobjects``, functions that return what they found (report
lines included); this class adds it to the service and the shared context, in key order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kapstan.importers import composefields as fields
from kapstan.importers.assembly import KubeObject, ServiceOut
from kapstan.importers.composecontext import ComposeContext
from kapstan.importers.composedeps import relations
from kapstan.importers.composeenv import environment
from kapstan.importers.composefiles import FileMount, Mounted, bind_file, service_files
from kapstan.importers.composehealth import deploy, quantity, readiness_probe
from kapstan.importers.composeobjects import Pod, build_objects, service_port
from kapstan.importers.composevolumes import claim_for
from kapstan.importers.names import split_image
from kapstan.importers.yamlio import Quoted

NOT_TRANSLATED = {
    "build": "Kapstan deploys images: build and push it, then set the image (and its tag key)",
    "networks": "pods share one cluster network; isolate with NetworkPolicies",
    "network_mode": "host networking is not translated (hostNetwork by hand if you must)",
    "extra_hosts": "add hostAliases to the pod spec by hand",
    "cap_add": "set securityContext.capabilities by hand",
    "cap_drop": "set securityContext.capabilities by hand",
    "privileged": "set securityContext.privileged by hand where the cluster allows it",
    "devices": "host devices are not available to pods",
    "labels": "engine labels have no pod equivalent (label keys differ)",
    "logging": "the cluster collects container output",
    "container_name": "the Kubernetes object names are the service name",
    "hostname": "pods are reached by their Service name",
    "dns": "set the pod's dnsConfig by hand",
    "dns_search": "set the pod's dnsConfig by hand",
    "sysctls": "set securityContext.sysctls by hand",
    "ulimits": "ulimits are set by the container runtime, not per pod",
    "security_opt": "set securityContext by hand",
    "pid": "host namespaces are not translated",
    "ipc": "host namespaces are not translated",
    "init": "add an init process to the image",
    "platform": "pick nodes with a nodeSelector on kubernetes.io/arch by hand",
    "scale": "use deploy.replicas",
}
_PULL = {
    "always": "Always",
    "never": "Never",
    "missing": "IfNotPresent",
    "if_not_present": "IfNotPresent",
}
_DEPLOY_KEYS = ("replicas", "resources")


class ServiceTranslator:
    """Builds one service's objects; every unknown or lossy key goes to the report."""

    def __init__(self, ctx: ComposeContext, source: str, spec: dict[str, Any]) -> None:
        self.ctx, self.source, self.spec = ctx, source, spec
        self.name = ctx.names[source]
        self.out = ServiceOut(self.name)
        self.container: dict[str, Any] = {"name": self.name}
        self.volumes: list[dict[str, Any]] = []
        self.env_values: list[tuple[str, str]] = []
        self.service_ports: list[dict[str, Any]] = []
        self.pod_extra: dict[str, Any] = {}
        self.claims: list[KubeObject] = []
        self.files: list[FileMount] = []
        # (where, text) of commands and delivered files, read for the services they name
        self.texts: list[tuple[str, str]] = []
        self.replicas = 1

    def add(self, path: tuple[str | int, ...], message: str) -> None:
        self.ctx.add(self.source, path, message)

    def text(self, value: Any, *path: str | int) -> str:
        return self.ctx.variables.placeholders(str(value), self.ctx.where(self.source, *path))

    def resolved(self, value: Any, *path: str | int) -> Any:
        if isinstance(value, str):
            return self.ctx.variables.resolve(value, self.ctx.where(self.source, *path))
        if isinstance(value, list):
            return [self.resolved(v, *path, i) for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {k: self.resolved(v, *path, k) for k, v in value.items()}
        return value

    def translate(self) -> ServiceOut:
        steps: dict[str, Callable[[Any], None]] = {
            "image": self._image,
            "command": self._command,
            "entrypoint": self._entrypoint,
            "ports": self._ports,
            "expose": self._expose,
            "volumes": self._volumes,
            "tmpfs": self._tmpfs,
            "healthcheck": self._healthcheck,
            "deploy": self._deploy,
            "working_dir": self._working_dir,
            "user": self._user,
            "restart": self._restart,
            "pull_policy": self._pull_policy,
            "stop_grace_period": self._grace,
            "cpus": self._cpus,
            "mem_limit": self._mem_limit,
            "mem_reservation": self._mem_reservation,
            "stdin_open": self._stdin,
            "tty": self._tty,
            "secrets": lambda v: self._delivered(
                service_files(self.ctx, self.source, "secrets", v)
            ),
            "configs": lambda v: self._delivered(
                service_files(self.ctx, self.source, "configs", v)
            ),
        }
        # ``profiles``: a service here was chosen (``compose`` leaves the others out).
        handled = {*steps, "environment", "env_file", "depends_on", "links", "profiles"}
        if "image" not in self.spec:
            self._image(None)
        for key, value in self.spec.items():
            if key in steps:
                steps[key](self.resolved(value, key) if key not in _FREE_TEXT else value)
            elif key.startswith("x-") or key in handled:
                continue
            else:
                reason = NOT_TRANSLATED.get(key, "no Kubernetes equivalent is translated")
                self.add((key,), f"not translated: {reason}")
        self._environment()
        self._relations()
        return self._build()

    def _image(self, value: Any) -> None:
        key = f"{self.name}.image.tag"
        if value is None:
            value = f"{self.ctx.project}-{self.name}"
            self.add(("build",) if "build" in self.spec else (), f"has no image: using {value}")
        if "$" in str(value):
            self.container["image"] = Quoted(self.text(value, "image"))
            return
        repo, tag = split_image(str(value))
        if tag is None:
            self.container["image"] = Quoted(str(value))
            return
        self.ctx.config[key] = tag
        self.container["image"] = Quoted(f"{repo}:${{{key}}}")

    def _command(self, value: Any) -> None:
        self.container["args"] = self._words(value, "command")

    def _entrypoint(self, value: Any) -> None:
        self.container["command"] = self._words(value, "entrypoint")

    def _words(self, value: Any, key: str) -> list[Quoted]:
        try:
            args = fields.words(value)
        except fields.FieldError as err:
            raise self.ctx.fail(self.source, (key,), str(err)) from None
        resolved = " ".join(self.ctx.variables.resolve_quietly(a) for a in args)
        self.texts.append((key, resolved))
        return [Quoted(self.text(a, key, i)) for i, a in enumerate(args)]

    def _ports(self, value: Any) -> None:
        for index, entry in enumerate(_as_list(value)):
            for port in self._parse_ports(entry, ("ports", index)):
                self._add_port(port)
                if port.published:
                    self.add(
                        ("ports", index),
                        f"host port {port.published} not translated: in the cluster the "
                        f"Service {self.name} serves {port.target}; set expose for outside access",
                    )
                if port.host_ip:
                    self.add(("ports", index), f"host_ip {port.host_ip} not translated")

    def _expose(self, value: Any) -> None:
        for index, entry in enumerate(_as_list(value)):
            for port in self._parse_ports(entry, ("expose", index)):
                self._add_port(port)

    def _parse_ports(self, entry: Any, path: tuple[str | int, ...]) -> list[fields.Port]:
        try:
            return fields.ports(entry)
        except fields.FieldError as err:
            raise self.ctx.fail(self.source, path, str(err)) from None

    def _add_port(self, port: fields.Port) -> None:
        if any(p["name"] == port.name for p in self.service_ports):
            return
        self.container.setdefault("ports", []).append(
            {"name": port.name, "containerPort": port.target, "protocol": port.protocol}
        )
        self.service_ports.append(service_port(port.target, port.protocol))

    def _volumes(self, value: Any) -> None:
        for index, entry in enumerate(_as_list(value)):
            try:
                mount = fields.mount(entry)
            except fields.FieldError as err:
                raise self.ctx.fail(self.source, ("volumes", index), str(err)) from None
            self._mount(mount, ("volumes", index))

    def _mount(self, mount: fields.Mount, path: tuple[str | int, ...]) -> None:
        if mount.kind == "bind":
            found = bind_file(self.ctx, self.source, self.name, mount.source, mount.target, path)
            if found is not None:
                self._delivered(found)
                return
            self.add(
                path,
                f"bind mount {mount.source}:{mount.target} not translated: pods cannot "
                "mount host paths; ship the files in the image or deliver them from config keys",
            )
            return
        volume_name = f"v{len(self.volumes)}"
        if mount.kind == "volume":
            claim = self._claim(mount.source, path)
            volume: dict[str, Any] = {
                "name": volume_name,
                "persistentVolumeClaim": {"claimName": claim},
            }
        elif mount.kind in ("anonymous", "tmpfs"):
            volume = {
                "name": volume_name,
                "emptyDir": {"medium": "Memory"} if mount.kind == "tmpfs" else {},
            }
        else:
            self.add(path, f"volume type {mount.kind} not translated")
            return
        self.volumes.append(volume)
        item: dict[str, Any] = {"name": volume_name, "mountPath": mount.target}
        if mount.read_only:
            item["readOnly"] = True
        self.container.setdefault("volumeMounts", []).append(item)

    def _delivered(self, found: Mounted) -> None:
        self.ctx.add_lines(found.lines)
        for mount in found.mounts:
            if any(m.target == mount.target or m.key == mount.key for m in self.files):
                continue  # compose mounts one file per target too
            self.files.append(mount)
            if mount.text is not None:  # a plain file's text is its key's default
                self.ctx.config[mount.key] = mount.text
                self.texts.append((f"file {mount.target}", mount.text))

    def _environment(self) -> None:
        found = environment(self.ctx, self.source, self.spec, {m.target: m for m in self.files})
        if found.env:
            self.container["env"] = list(found.env)
        self.out.env.update(found.bindings)
        self.env_values = list(found.values)
        self.ctx.config.update(found.config)
        self.ctx.add_lines(found.lines)

    def _claim(self, volume: str, path: tuple[str | int, ...]) -> str:
        found = claim_for(self.ctx, self.source, self.name, self.claims, volume, path)
        self.ctx.add_lines(found.lines)
        if found.owner is not None:
            self.ctx.volume_owner.setdefault(volume, found.owner)
        if found.depends is not None:
            self.out.depend(found.depends)
        self.ctx.config.update(found.config)
        if found.pvc is not None:
            self.claims.append(found.pvc)
        return found.name

    def _tmpfs(self, value: Any) -> None:
        for entry in _as_list(value):
            target = str(entry).split(":")[0]
            self._mount(fields.Mount("tmpfs", "", target), ("tmpfs",))

    def _healthcheck(self, value: Any) -> None:
        found = readiness_probe(self.ctx, self.source, value)
        self.ctx.add_lines(found.lines)
        if found.probe is not None and self.source not in self.ctx.jobs:
            self.container["readinessProbe"] = found.probe

    def _deploy(self, value: Any) -> None:
        found = deploy(self.ctx, self.source, value)
        if found.replicas is not None:
            self.replicas = found.replicas
        for section, name, amount in found.resources:
            self._resource(section, name, amount)
        self.ctx.add_lines(found.lines)

    def _working_dir(self, value: Any) -> None:
        self.container["workingDir"] = str(value)

    def _user(self, value: Any) -> None:
        user, _, group = str(value).partition(":")
        if not user.isdigit() or (group and not group.isdigit()):
            self.add(("user",), f"user {value!r} not translated: Kubernetes takes numeric ids")
            return
        context: dict[str, Any] = {"runAsUser": int(user)}
        if group:
            context["runAsGroup"] = int(group)
        self.container["securityContext"] = context

    def _restart(self, value: Any) -> None:
        if str(value) in ("no", "on-failure") and self.source not in self.ctx.jobs:
            self.add(
                ("restart",),
                f"restart: {value} not translated: a Deployment always restarts its pods",
            )

    def _pull_policy(self, value: Any) -> None:
        policy = _PULL.get(str(value))
        if policy is None:
            self.add(("pull_policy",), f"pull_policy {value} not translated")
        else:
            self.container["imagePullPolicy"] = policy

    def _grace(self, value: Any) -> None:
        self.pod_extra["terminationGracePeriodSeconds"] = self._seconds(value, "stop_grace_period")

    def _seconds(self, value: Any, *path: str | int) -> int:
        try:
            return fields.seconds(value)
        except fields.FieldError as err:
            raise self.ctx.fail(self.source, path, str(err)) from None

    def _cpus(self, value: Any) -> None:
        self.set_resource("limits", "cpu", value, ("cpus",))

    def _mem_limit(self, value: Any) -> None:
        self.set_resource("limits", "memory", value, ("mem_limit",))

    def _mem_reservation(self, value: Any) -> None:
        self.set_resource("requests", "memory", value, ("mem_reservation",))

    def set_resource(
        self, section: str, name: str, value: Any, path: tuple[str | int, ...]
    ) -> None:
        self._resource(section, name, quantity(self.ctx, self.source, name, value, path))

    def _resource(self, section: str, name: str, amount: str) -> None:
        self.container.setdefault("resources", {}).setdefault(section, {})[name] = amount

    def _stdin(self, value: Any) -> None:
        self.container["stdin"] = bool(value)

    def _tty(self, value: Any) -> None:
        self.container["tty"] = bool(value)

    def _relations(self) -> None:
        found = relations(self.ctx, self.source, self.spec)
        for target in found.depends:
            self.out.depend(target)
        for target in found.calls:
            self.out.call(target)
        self.ctx.add_lines(found.lines)

    def _build(self) -> ServiceOut:
        for mount in self.files:
            self.container.setdefault("volumeMounts", []).append(mount.volume_mount)
            self.out.files[mount.key] = mount.key
        pod = Pod(
            name=self.name,
            job=self.source in self.ctx.jobs,
            container=self.container,
            volumes=self.volumes,
            service_ports=self.service_ports,
            pod_extra=self.pod_extra,
            claims=self.claims,
            replicas=self.replicas,
        )
        built = build_objects(pod)
        self.ctx.config.update(built.config)
        self.out.objects = built.objects
        return self.out


_FREE_TEXT = {"image", "command", "entrypoint"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
