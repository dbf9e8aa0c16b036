"""What a rollout across environments is, checked before anything runs (pure).

    --to a,b,c  |  a named plan (canary, then)  ->  RolloutSpec: environments in order,
                                                    soak, parallel, rollback_on_failure

The first environment is the canary: promoted and deployed alone, then watched for
``soak`` seconds (its services must stay ready); the rest follow with at most
``parallel`` at once. A target goes pending -> deploying -> (soaking, the canary) ->
done | failed; done -> rolled-back when a later failure takes it back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kapstan.errors import InputError

PENDING, DEPLOYING, SOAKING, DONE, FAILED, ROLLED_BACK = (
    "pending",
    "deploying",
    "soaking",
    "done",
    "failed",
    "rolled-back",
)
STATES = (PENDING, DEPLOYING, SOAKING, DONE, FAILED, ROLLED_BACK)
# The rollout's own status. Interrupted is read, never written: running, but no live
# process holds its lease (it died, or a stopping server let it go); resumable.
WAITING, RUNNING, INTERRUPTED = "waiting-approval", "running", "interrupted"
# The states of an environment a run had started and not finished: re-checked on resume.
IN_FLIGHT = ("deploying", "soaking")
MAX_PARALLEL = 32  # threads, each a deploy: more than this is a mistake, not a plan
MAX_SOAK = 24 * 3600.0
MAX_NAME = 63
_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")


@dataclass(frozen=True)
class RolloutSpec:
    """Environments in order (the first is the canary) and how to go through them."""

    environments: tuple[str, ...]
    soak: float = 0.0
    parallel: int = 1
    rollback_on_failure: bool = False
    plan: str | None = None  # the named plan it came from

    @property
    def canary(self) -> str:
        return self.environments[0]

    @property
    def rest(self) -> tuple[str, ...]:
        return self.environments[1:]


def environments_of(text: str | Iterable[str]) -> tuple[str, ...]:
    """``a,b,c`` (or several such) as names in order; InputError on an empty or bad name."""
    parts = [text] if isinstance(text, str) else list(text)
    names = tuple(n.strip() for part in parts for n in part.split(","))
    bad = [n for n in names if not _NAME.fullmatch(n)]
    if bad or not names:
        shown = ", ".join(repr(n) for n in bad) or "nothing"
        raise InputError(
            f"--to takes environment names separated by commas (e.g. --to staging,prod-eu); "
            f"got {shown}"
        )
    return names


def check_spec(spec: RolloutSpec, source_environment: str | None = None) -> RolloutSpec:
    """``spec`` if it can run; else InputError naming what is wrong and what would do."""
    envs = spec.environments
    if not envs:
        raise InputError("a rollout needs at least one environment (--to or --plan)")
    bad = [e for e in envs if len(e) > MAX_NAME or not _NAME.fullmatch(e)]
    if bad:
        raise InputError(
            f"environment name {', '.join(map(repr, bad))} is not valid: lower-case letters, "
            f"digits, '-' and '.', at most {MAX_NAME} characters"
        )
    twice = sorted({e for e in envs if envs.count(e) > 1})
    if twice:
        raise InputError(
            f"environment {', '.join(map(repr, twice))} appears more than once in the rollout; "
            "name each environment once"
        )
    if source_environment is not None and source_environment in envs:
        raise InputError(
            f"the application runs in {source_environment!r} already: a rollout goes to other "
            f"environments; drop {source_environment!r} from the list"
        )
    if not 1 <= spec.parallel <= MAX_PARALLEL:
        raise InputError(f"--parallel is {spec.parallel}; give 1 to {MAX_PARALLEL}")
    if not 0 <= spec.soak <= MAX_SOAK:
        raise InputError(f"--soak is {spec.soak:g}s; give 0 to 24h")
    return spec


def still_to_run(states: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """The environments of ``(environment, state)`` a run (or a resumed one) deploys: the
    pending ones, in order."""
    return tuple(env for env, state in states if state == PENDING)
