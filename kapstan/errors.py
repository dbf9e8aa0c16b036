"""Kapstan's one exception tree.

    KapstanError                 anything Kapstan raises on purpose; exit code 1
    ├── InputError               bad user input: a file, a line, a key, a service at fault
    │   ├── TemplateError        a template that cannot be loaded or rendered
    │   ├── VariableError        undefined variables or values that do not fit
    │   ├── GraphError           dependency cycles, unknown services
    │   └── PolicyError          the environment's boundary refuses objects (namespace, kind)
    ├── NotFoundError            an unknown template/config/environment/app/revision name
    ├── ConflictError            the object exists already, or is locked by someone else
    │   └── OperationCancelled   a user cancelled the running operation (app cancel)
    ├── AuthError                who is asking is not known: bad password or token (401)
    ├── ForbiddenError           a known user may not do this here (403)
    ├── ApprovalRequiredError    the environment needs a second user's approval first; exit 3
    ├── SecretKeyError           secret values cannot be encrypted or decrypted
    ├── StoreError               the store cannot be opened or migrated
    ├── ClusterError             the Kubernetes API refused or could not be reached
    │   ├── ClusterConflictError     409: someone else changed or holds the object
    │   ├── ClusterNotFoundError     404: the object (or its namespace) does not exist
    │   │   └── ClusterUnknownKindError  the cluster serves no such apiVersion/kind
    │   ├── ClusterForbiddenError    401/403: the credentials may not do this
    │   ├── ClusterInvalidError      422/400: the apiserver rejected the object's fields
    │   └── ClusterUnavailableError  429, 5xx, refused/dropped/timed-out connections (temporary)
    ├── BuildError               a pinned tool (etcd, Kubernetes, kwok, helm) failed to build from Go
    ├── SandboxError             the local control plane could not be built or started
    └── LayoutError              Graphviz could not lay out the dependency-graph picture

Every message says what is wrong and, where it can, what to do about it.
The CLI maps the tree to exit codes in one place; the HTTP API to statuses in one place.
"""

from __future__ import annotations


class KapstanError(Exception):
    """Base of every error Kapstan raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(KapstanError):
    """The user's input is wrong; the message names where."""


class TemplateError(InputError):
    """A template cannot be loaded or rendered."""


class VariableError(InputError):
    """Variables are undefined or their values do not fit where they are used."""


class GraphError(InputError):
    """The dependency graph has a cycle or names an unknown service."""


class PolicyError(InputError):
    """The environment's tenancy boundary refuses what a deploy would write; names each object."""


class NotFoundError(KapstanError):
    """A named object does not exist."""


class ConflictError(KapstanError):
    """The object already exists, or someone else holds it."""


class OperationCancelled(ConflictError):
    """A user asked the running operation to stop; it stopped at the next safe point."""


class AuthError(KapstanError):
    """The user or token is not known, or the password is wrong (never says which)."""


class ForbiddenError(KapstanError):
    """A known user lacks the role this action needs on this environment."""


class ApprovalRequiredError(KapstanError):
    """The environment requires approval: the request waits for a second user.

    Its own exit code (3), so a script can tell "nothing applied, waiting for approval"
    from success (0) and from failure (1) (``kapstan.cli.exitcodes`` lists every code).
    """

    exit_code = 3


class SecretKeyError(KapstanError):
    """Secret values cannot be encrypted or decrypted (missing or wrong key)."""


class StoreError(KapstanError):
    """The store cannot be opened, migrated or written."""


class ClusterError(KapstanError):
    """The Kubernetes API refused a request or could not be reached."""


class BuildError(KapstanError):
    """A pinned upstream tool could not be built from Go modules (no Go, or the build failed)."""


class SandboxError(KapstanError):
    """The local sandbox control plane could not be built, started or stopped."""


class LayoutError(KapstanError):
    """Graphviz (dot) is missing, failed or took too long to lay out the graph picture."""


class ClusterConflictError(ClusterError):
    """The apiserver answered 409: the object changed underneath us or another manager owns it."""


class ClusterNotFoundError(ClusterError):
    """The apiserver answered 404 where the object (or its namespace) had to exist."""


class ClusterUnknownKindError(ClusterNotFoundError):
    """The cluster serves no such apiVersion/kind (a CRD not installed, or a removed API)."""


class ClusterForbiddenError(ClusterError):
    """The apiserver answered 401 or 403: the kubeconfig's credentials may not do this."""


class ClusterInvalidError(ClusterError):
    """The apiserver rejected the object (422/400); the message lists the fields at fault."""


class ClusterImmutableError(ClusterInvalidError):
    """The apiserver refused to change fields that cannot change once set (a Job's template).

    Told by the 422's structured causes (``kapstan.kube.errors.immutable_fields``), never by
    its message text; ``fields`` names them, as the apiserver does (``spec.template``).
    """

    def __init__(self, message: str, fields: tuple[str, ...]) -> None:
        super().__init__(message)
        self.fields = fields


class ClusterUnavailableError(ClusterError):
    """A temporary failure: 429, 5xx, or a refused, dropped or timed-out connection.

    ``retry_after`` carries the server's Retry-After (seconds) when it sent one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
