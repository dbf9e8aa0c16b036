"""Well-known Kubernetes fields whose values must be integers or booleans.

The rule: a placeholder that is a whole scalar in a field named below must render to
that type. Strings that spell one (``"3"``, ``"true"``) are converted; anything else is
a VariableError naming the key, file, line and field path. ``port`` and ``targetPort``
also accept a port *name* (IANA service name: lowercase letters, digits, ``-``, at
most 15 characters, at least one letter), since Services and probes may use names.
"""

from __future__ import annotations

import re

from kapstan.model.manifest import Expect, Path
from kapstan.model.values import Scalar

INT_FIELDS = frozenset(
    {
        "replicas",
        "containerPort",
        "nodePort",
        "hostPort",
        "minReplicas",
        "maxReplicas",
        "parallelism",
        "completions",
        "backoffLimit",
        "revisionHistoryLimit",
        "terminationGracePeriodSeconds",
        "initialDelaySeconds",
        "periodSeconds",
        "timeoutSeconds",
        "successThreshold",
        "failureThreshold",
        "activeDeadlineSeconds",
        "ttlSecondsAfterFinished",
        "progressDeadlineSeconds",
        "minReadySeconds",
        "averageUtilization",
        "runAsUser",
        "runAsGroup",
        "fsGroup",
        "defaultMode",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "startingDeadlineSeconds",
    }
)
INT_OR_NAME_FIELDS = frozenset({"port", "targetPort"})
BOOL_FIELDS = frozenset(
    {
        "suspend",
        "hostNetwork",
        "hostPID",
        "hostIPC",
        "privileged",
        "readOnly",
        "readOnlyRootFilesystem",
        "runAsNonRoot",
        "automountServiceAccountToken",
        "allowPrivilegeEscalation",
        "stdin",
        "tty",
        "optional",
        "paused",
        "immutable",
        "publishNotReadyAddresses",
        "enableServiceLinks",
        "shareProcessNamespace",
    }
)
_PORT_NAME = re.compile(r"(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?\Z")
_INT = re.compile(r"[-+]?[0-9]+\Z")
_NEEDS = {"int": "an integer", "int-or-name": "an integer or a port name", "bool": "true or false"}


def expected_type(path: Path) -> Expect | None:
    """The type a value at ``path`` must have, judged by its field name."""
    last = path[-1] if path else None
    if not isinstance(last, str):
        return None
    if last in INT_FIELDS:
        return "int"
    if last in INT_OR_NAME_FIELDS:
        return "int-or-name"
    if last in BOOL_FIELDS:
        return "bool"
    return None


def needs(expect: Expect) -> str:
    return _NEEDS[expect]


def coerce(value: Scalar, expect: Expect) -> tuple[bool, Scalar]:
    """(fits, converted value) for ``value`` in a field expecting ``expect``."""
    if expect == "bool":
        return _coerce_bool(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return True, value
    if isinstance(value, str) and _INT.match(value.strip()):
        return True, int(value)
    if expect == "int-or-name" and isinstance(value, str) and _PORT_NAME.match(value):
        return True, value
    return False, value


def _coerce_bool(value: Scalar) -> tuple[bool, Scalar]:
    if isinstance(value, bool):
        return True, value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return True, value.lower() == "true"
    return False, value


def field_text(path: Path) -> str:
    """``spec.template.spec.containers[0].ports[0].containerPort`` for a path."""
    out = ""
    for item in path:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else item)
    return out
