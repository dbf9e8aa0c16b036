"""The one place where the Kubernetes API's failures become Kapstan errors.

    401, 403                      ClusterForbiddenError
    403 "exceeded quota"          ClusterForbiddenError   (names the quota, not RBAC)
    404                           ClusterNotFoundError
    409                           ClusterConflictError
    400, 422                      ClusterInvalidError     (with the apiserver's field causes)
    422, causes "field is immutable"  ClusterImmutableError (the fields, from the causes)
    429, 5xx                      ClusterUnavailableError (retry_after from Retry-After)
    refused, dropped, timed out   ClusterUnavailableError
    untrusted TLS certificate     ClusterError            (retrying will not help)
    anything else                 ClusterError

``what`` names the object or request ("Deployment shop/web", "list Pods in shop") and
``origin`` the server ("https://127.0.0.1:6443 (kubeconfig k, context c)").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx2

from kapstan.errors import (
    ClusterConflictError,
    ClusterError,
    ClusterForbiddenError,
    ClusterImmutableError,
    ClusterInvalidError,
    ClusterNotFoundError,
    ClusterUnavailableError,
)

Status = Mapping[str, Any]
# apimachinery's validation.FieldImmutableErrorMsg: the detail every "may not change once
# set" refusal ends its cause with (Kubernetes has no cause reason of its own for it).
IMMUTABLE_DETAIL = "field is immutable"


def translate(exc: Exception, what: str, origin: str, identity: str | None = None) -> ClusterError:
    """The Kapstan error for an exception raised by lightkube or httpx2.

    ``identity``: the identity the request was made as (impersonated), named on a refusal.
    """
    if isinstance(exc, httpx2.HTTPStatusError):
        return from_response(exc.response, what, identity)
    if isinstance(exc, httpx2.TransportError):
        return from_transport(exc, what, origin)
    return ClusterError(f"{what}: {type(exc).__name__}: {exc}" if what else str(exc))


def from_response(
    response: httpx2.Response, what: str, identity: str | None = None
) -> ClusterError:
    status = _status_body(response)
    retry_after = _retry_after(response.headers.get("Retry-After"))
    return from_status(status, what, retry_after=retry_after, identity=identity)


def from_status(
    status: Status, what: str, *, retry_after: float | None = None, identity: str | None = None
) -> ClusterError:
    """The error for a ``Status`` object (an HTTP error body, or a watch ERROR event)."""
    code = int(status.get("code") or 0)
    message = str(status.get("message") or status.get("reason") or f"HTTP {code}")
    lead = f"{what}: " if what else ""
    if code == 403 and ("exceeded quota" in message or "failed quota" in message):
        # Admission's refusal, not RBAC's: the advice is the quota, not a permission.
        return ClusterForbiddenError(
            f"{lead}the namespace's ResourceQuota refuses it: {message} (HTTP 403); ask for "
            "less, or raise the quota (`kapstan env quota set ENV` for Kapstan's own; a quota "
            "Kapstan did not create is a cluster admin's)"
        )
    if code == 403 and identity:
        return ClusterForbiddenError(
            f"{lead}the cluster refused this as {identity}: {message} (HTTP 403); the "
            f"environment impersonates {identity}, so the cluster's RBAC for that identity "
            "bounds what its deploys may do: a cluster admin can grant it this permission"
        )
    if code in (401, 403):
        return ClusterForbiddenError(
            f"{lead}{message} (HTTP {code}); the kubeconfig's user needs RBAC permission for this"
        )
    if code == 404:
        return ClusterNotFoundError(f"{lead}{message}; check the name and namespace")
    if code == 409:
        return ClusterConflictError(
            f"{lead}{message}; someone else changed it or owns these fields: read it again"
        )
    if code in (400, 422):
        text = f"{what} is invalid: {_causes(status) or message}; fix the manifest and apply again"
        immutable = immutable_fields(status)
        return ClusterImmutableError(text, immutable) if immutable else ClusterInvalidError(text)
    if code == 410:
        return ClusterError(f"{lead}{message} (410 Gone); read again and watch from there")
    if code == 429 or code >= 500:
        return ClusterUnavailableError(
            f"{lead}the apiserver answered {code}: {message}", retry_after=retry_after
        )
    return ClusterError(f"{lead}HTTP {code}: {message}")


def from_transport(exc: httpx2.TransportError, what: str, origin: str) -> ClusterError:
    lead = f"{what}: " if what else ""
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE" in text.upper():  # a TLS trust problem will not pass by retrying
        return ClusterError(
            f"{lead}cannot reach {origin}: {text}; check the kubeconfig's certificate-authority"
        )
    if isinstance(exc, httpx2.ConnectError):
        reason = "connection refused" if "refused" in text.lower() else text
        return ClusterUnavailableError(f"{lead}cannot reach {origin}: {reason}")
    if isinstance(exc, httpx2.TimeoutException):
        return ClusterUnavailableError(f"{lead}{origin} did not answer in time ({text})")
    return ClusterUnavailableError(
        f"{lead}the connection to {origin} dropped ({type(exc).__name__}: {text})"
    )


def _status_body(response: httpx2.Response) -> Status:
    try:
        body = json.loads(response.read() or b"{}")
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        return {"code": response.status_code, **body}
    text = response.text.strip()[:300] or response.reason_phrase
    return {"code": response.status_code, "message": text}


def immutable_fields(status: Status) -> tuple[str, ...]:
    """The fields a 422 ``Status`` refuses to change, read from its ``details.causes``.

    A cause counts when its reason is ``FieldValueInvalid``, it names a field, and its
    message ends in the apiserver's immutable detail; the top-level message (which quotes
    object names and values) is never searched.
    """
    if int(status.get("code") or 0) != 422:
        return ()
    details = status.get("details")
    causes = details.get("causes") if isinstance(details, Mapping) else None
    found = [
        str(c["field"])
        for c in (causes if isinstance(causes, list) else ())
        if isinstance(c, Mapping)
        and c.get("reason") == "FieldValueInvalid"
        and c.get("field")
        and str(c.get("message") or "").endswith(IMMUTABLE_DETAIL)
    ]
    return tuple(dict.fromkeys(found))


def _causes(status: Status) -> str:
    causes = (status.get("details") or {}).get("causes") or []
    return "; ".join(
        f"{c['field']}: {c.get('message', '')}" if c.get("field") else str(c.get("message", ""))
        for c in causes
    )


def _retry_after(header: str | None) -> float | None:
    # Kubernetes sends whole seconds; an HTTP-date form is not worth parsing here.
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None
