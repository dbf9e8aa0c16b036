"""The demo: the whole product in one run, on any cluster (the sandbox by default).

environments dev + prod -> demo-shop from the market into dev -> deploy in dependency order
-> change one key: only its service rolls -> promote to prod -> deploy there
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kapstan.actions import promote as promoting
from kapstan.actions.applications import update_app
from kapstan.actions.configs import set_values
from kapstan.actions.deleting import delete_app
from kapstan.actions.deletions import delete_environment
from kapstan.actions.deploying import DeployResult, deploy_app
from kapstan.actions.install import install
from kapstan.actions.journal import Listener
from kapstan.actions.storeports import Deleting, Operating
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import KapstanError
from kapstan.market.catalog import all_catalogs
from kapstan.market.catalogs import find_template
from kapstan.model.operation import Step
from kapstan.model.values import SecretValue, Value

Say = Callable[[str], None]
APP = "shop"
CHANGED_KEY = "catalog.image.tag"
STEPS = 6


@dataclass(frozen=True)
class DemoResult:
    first: DeployResult
    change: DeployResult
    prod: DeployResult
    prod_app: str

    def rolled(self) -> list[str]:
        return [s for s, o in self.change.outcome.services.items() if o.step is Step.READY]


def _check(result: DeployResult, what: str) -> DeployResult:
    if not result.outcome.ok:
        failed = "; ".join(f"{s.service}: {s.message}" for s in result.outcome.failed())
        raise KapstanError(
            f"the demo stopped: {what} failed ({failed}); see `kapstan app operation`"
        )
    return result


def _counts(result: DeployResult) -> str:
    counts: dict[str, int] = {}
    for outcome in result.outcome.services.values():
        counts[outcome.step.value] = counts.get(outcome.step.value, 0) + 1
    return ", ".join(f"{n} {step}" for step, n in sorted(counts.items()))


def run_demo(
    store: Operating,
    *,
    kubeconfig: Path,
    prefix: str = "kapstan-demo",
    author: str = "demo",
    timeout: float = 300.0,
    say: Say = print,
    listener: Listener | None = None,
) -> DemoResult:
    options = DeployOptions(timeout=timeout)
    say(
        f"1/{STEPS} environments: dev and prod, each with its own config (prod rejects workloads without limits)"
    )
    store.create_config("dev", {}, author=author, message="demo: dev")
    # prod has its own secrets: generated here, never the ones dev uses.
    shop = find_template("demo-shop", all_catalogs())
    prod_values: dict[str, Value] = {"kapstan.resourcePolicy": "reject"}
    prod_values.update({k: SecretValue(secrets.token_urlsafe(24)) for k in shop.secrets})
    store.create_config("prod", prod_values, author=author, message="demo: prod")
    for env in ("dev", "prod"):
        store.create_environment(
            env, kubeconfig=str(kubeconfig), context=None, namespace=f"{prefix}-{env}", config=env
        )
    say(
        f"2/{STEPS} the market's demo-shop (10 services, 4 waves) installed into dev as application {APP!r}"
    )
    install(store, "demo-shop", env="dev", app=APP, author=author)
    say(f"3/{STEPS} deploying {APP} to dev in dependency order")
    first = _check(
        deploy_app(store, APP, author=author, options=options, listener=listener),
        "the first deploy",
    )
    say(f"    {_counts(first)}")
    say(f"4/{STEPS} changing one config key ({CHANGED_KEY}): only the service that uses it rolls")
    set_values(
        store, APP, {CHANGED_KEY: "1.5.0"}, author=author, message="demo: a new catalog build"
    )
    update_app(store, APP)
    change = _check(
        deploy_app(store, APP, author=author, options=options, listener=listener), "the change"
    )
    say(f"    {_counts(change)}")
    say(
        f"5/{STEPS} promoting {APP} to prod (same template version, prod's config) and deploying it there"
    )
    done = promoting.promote(
        store, promoting.plan_promotion(store, APP, "prod", None), author=author
    )
    prod = _check(
        deploy_app(store, done.application.name, author=author, options=options, listener=listener),
        "the prod deploy",
    )
    say(f"    {_counts(prod)}")
    say(f"6/{STEPS} done")
    return DemoResult(first, change, prod, done.application.name)


def cleanup_demo(
    store: Deleting,
    *,
    author: str = "demo",
    timeout: float = 300.0,
    say: Say = print,
    listener: Listener | None = None,
) -> list[str]:
    """Delete the demo's applications from their cluster (``app delete``, volumes too), then
    its environments; the names of the applications deleted. KapstanError naming the first
    application that could not be deleted (the demo's files should then be kept)."""
    deleted = []
    for app in store.list_applications():
        say(f"deleting application {app.name} from {app.environment}")
        result = delete_app(
            store, app.name, author=author, keep_volumes=False, timeout=timeout, listener=listener
        )
        if result.operation.status is not Step.SUCCEEDED:
            raise KapstanError(
                f"the demo's application {app.name} was not deleted: {result.operation.message}"
            )
        say(f"    {result.operation.message}")
        deleted.append(app.name)
    for env in store.list_environments():
        delete_environment(store, env.name, author=author)
    return deleted
