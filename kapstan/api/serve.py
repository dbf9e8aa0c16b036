"""The app as each of ``kapstan server --workers N``'s processes builds it.

uvicorn's worker processes import the app by name (an app object cannot be handed to
another process), so ``kapstan server`` writes its settings into the environment the
workers inherit (``worker_environ``) and each worker calls ``app_from_environ``.

What each worker holds on its own, and why that is still correct with several:

- its store connections, operation runner and reaper (``api.reaper``): operations are
  coordinated through the store's application locks and leases, exactly as between
  replicas on one store; an operation runs in the worker that started it, and a worker
  that dies has its operations taken over by another's reaper once the lease ends;
- the login rate limit counts failures in the store (``api.ratelimit``): all workers
  count the same failures;
- webhook nonces and bodies are claimed in the store, one claim at a time per
  application (``store.hookclaims``); a worker's memory only refuses replays sooner;
- tokens and roles are remembered for seconds (``api.authcache``): a revocation reaches
  every worker within that time;
- the periodic drift check (``api.driftchecks``) runs in every worker; each application is
  claimed in the store before its check (``store.drift``), so one worker checks it per
  interval;
- Prometheus metrics (``/metrics``) are per worker: a scrape sees the worker that
  answered it; the per-application gauges (``api.appmetrics``) are read from the store,
  the same in every worker.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping

from fastapi import FastAPI

from kapstan.api.app import create_app
from kapstan.api.proxies import TrustedProxies

FACTORY = "kapstan.api.serve:app_from_environ"
DB_VARIABLE = "KAPSTAN_SERVER_WORKER_DB"
PROXIES_VARIABLE = "KAPSTAN_SERVER_WORKER_PROXIES"
# Allocations between two collections of the youngest generation (CPython's default: 700).
# A request allocates a few thousand objects, so the default collected several times per
# request: ~7 % of a worker's CPU under load, and pauses of 10 to 35 ms on a busy machine.
YOUNG_COLLECTION_THRESHOLD = 10_000


def settle_memory() -> None:
    """In a server process whose app has started: what it built to start (modules, routes,
    the store's engine: hundreds of thousands of objects, kept for its life) is moved out
    of the collector's sight (``gc.freeze``), so a full collection under load scans only
    what requests made (one took 50 to 90 ms before), and young collections run less
    often. Not for a process that builds apps again and again (tests): frozen objects are
    freed by reference counting only."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


def worker_environ(url: str | None, proxies: str) -> dict[str, str]:
    """The variables ``app_from_environ`` reads: the store URL and the trusted proxies."""
    return {DB_VARIABLE: url or "", PROXIES_VARIABLE: proxies}


def app_from_environ(environ: Mapping[str, str] | None = None) -> FastAPI:
    """The app on the store and proxies ``kapstan server`` named (``worker_environ``)."""
    env = os.environ if environ is None else environ
    url = env.get(DB_VARIABLE) or None
    return create_app(
        url, proxies=TrustedProxies.parse(env.get(PROXIES_VARIABLE, "")), started=settle_memory
    )
