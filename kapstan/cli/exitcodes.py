"""Every exit code of ``kapstan``, for CI scripts (README: "Exit codes").

0 and 1 are success and failure; the others each say one thing a script may act on.
``CHANGES`` is terraform's ``plan -detailed-exitcode`` 2, so a usage error (bad flags or
arguments) has its own code, 64 (``EX_USAGE`` of sysexits.h), rather than the CLI
library's 2: a mistyped flag is never read as "there are changes".
"""

from __future__ import annotations

from enum import IntEnum

from kapstan.errors import ApprovalRequiredError


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # any error, a deploy/rollback/delete that failed, a declined confirmation
    CHANGES = 2  # `app plan|diff --exit-code`: changes; `app drift|instances`: drifted
    APPROVAL_PENDING = 3  # nothing applied: the change waits for a second user's approval
    UNHEALTHY = 4  # `app status`: a service is not healthy, missing, or its last revision failed
    USAGE = 64  # bad flags or arguments: nothing ran
    INTERRUPTED = 130  # Ctrl-C


MEANINGS = {
    ExitCode.OK: "success; with --exit-code: no changes",
    ExitCode.FAILED: "error, or the deploy/rollback/delete failed",
    ExitCode.CHANGES: "app plan / app diff --exit-code: there are changes; "
    "app drift: the live objects drifted from the last revision; "
    "app instances: an instance drifted (all healthy)",
    ExitCode.APPROVAL_PENDING: "deploy, rollback, delete or promotion waits for approval",
    ExitCode.UNHEALTHY: "app status: a service is unhealthy, missing, or its last revision "
    "failed; app instances: an instance is unhealthy or its cluster could not be read",
    ExitCode.USAGE: "usage error (unknown flag, bad value); nothing ran",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}

# One number, one meaning: the error tree's code must be this table's.
assert ApprovalRequiredError.exit_code == ExitCode.APPROVAL_PENDING
