"""Health of one Kubernetes object: is it done, did it succeed, and what is pending.

A ``Health`` is the answer of ``kapstan.health`` for one object, in the spirit of kapp's
``DoneApplyState{Done, Successful, Message}``: the status says where the object stands,
the message says what is pending and why, in words a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HealthStatus(StrEnum):
    """Where an object stands.

    ``HEALTHY`` and ``FAILED`` are final for a wait: nothing more will happen without a
    change. ``PROGRESSING`` may still become either. ``MISSING`` means the object does not
    exist; ``UNKNOWN`` that its state cannot be read.
    """

    HEALTHY = "healthy"
    PROGRESSING = "progressing"
    FAILED = "failed"
    MISSING = "missing"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Health:
    """The status of one object and a message saying what is pending and why."""

    status: HealthStatus
    message: str = ""

    @property
    def done(self) -> bool:
        """True when waiting longer will not change the outcome (healthy or failed)."""
        return self.status in (HealthStatus.HEALTHY, HealthStatus.FAILED)

    @property
    def ok(self) -> bool:
        """True when the object is healthy."""
        return self.status is HealthStatus.HEALTHY

    def describe(self) -> str:
        """One line for people, e.g. ``progressing: 2/3 replicas updated``."""
        return f"{self.status.value}: {self.message}" if self.message else self.status.value

    @classmethod
    def healthy(cls, message: str = "") -> Health:
        return cls(HealthStatus.HEALTHY, message)

    @classmethod
    def progressing(cls, message: str) -> Health:
        return cls(HealthStatus.PROGRESSING, message)

    @classmethod
    def failed(cls, message: str) -> Health:
        return cls(HealthStatus.FAILED, message)

    @classmethod
    def missing(cls, message: str = "object does not exist") -> Health:
        return cls(HealthStatus.MISSING, message)

    @classmethod
    def unknown(cls, message: str) -> Health:
        return cls(HealthStatus.UNKNOWN, message)


@dataclass(frozen=True)
class HealthOptions:
    """Choices that depend on the cluster rather than on the object.

    ``wait_for_load_balancer``: a Service of type LoadBalancer is healthy only once it has
    an address. Turn it off where no load-balancer controller runs (the sandbox, bare
    metal without MetalLB): the Service is then healthy at once, its message saying that
    no address was assigned.
    """

    wait_for_load_balancer: bool = True


DEFAULT_OPTIONS = HealthOptions()
