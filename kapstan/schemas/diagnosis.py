"""A deployed application read live: its events, pods, failing logs, log lines and usage."""

from __future__ import annotations

from kapstan.schemas.base import Model


class EventOut(Model):
    service: str
    type: str
    reason: str
    object: str  # "Pod/api-5d8f-x2"
    message: str
    count: int
    when: str


class PodOut(Model):
    name: str
    phase: str
    ready: str  # "1/2"
    restarts: int
    node: str


class LogBlockOut(Model):
    pod: str
    container: str
    why: str
    lines: str | None  # null: the node does not serve logs
    error: str = ""


class DiagnosisOut(Model):
    service: str
    pods: list[PodOut]
    events: list[EventOut]
    logs: list[LogBlockOut]
    error: str = ""


class LogLineOut(Model):
    service: str
    pod: str
    container: str
    time: str
    text: str
    containers: int = 1


class LogNoticeOut(Model):
    service: str
    pod: str
    container: str
    message: str


class PodUsageOut(Model):
    pod: str
    cpu_millicores: float | None
    memory_bytes: int | None
    window: str = ""


class ServiceUsageOut(Model):
    service: str
    cpu_millicores: float
    memory_bytes: int
    pods: list[PodUsageOut]
