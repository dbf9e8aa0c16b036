"""The console's application page shows the last drift check: a badge per service (with a
live status), the fields and the redacted diff, and who healed it; /metrics its gauges. No cluster needed: the
check is recorded in the store as the server's checker records it."""

from __future__ import annotations

from kapstan.model.values import REDACTED
from tests.web.conftest import Console, console

__all__ = ["console"]  # the console fixture, from the web tests

DIFF = (
    "--- live Deployment.apps ns-dev/api\n+++ new Deployment.apps ns-dev/api\n"
    "-        image: shop/api:by-hand\n+        image: shop/api:1.0\n"
    f"-  DB_PASSWORD: {REDACTED}\n+  DB_PASSWORD: {REDACTED} (changed)\n"
)
FIELD = "Deployment/api: spec.template.spec.containers[name=api].image"


def test_the_app_page_shows_drift_with_its_diff(console: Console) -> None:
    store = console.api.store
    store.record_drift("shop", "api", drifted=True, revision=3, diff=DIFF, fields=[FIELD])
    store.record_drift("shop", "web", drifted=False, revision=1, diff="", fields=[])
    page = console.get("/ui/apps/shop", "vic").text
    assert 'id="drift-api"' in page and 'id="drift-web"' not in page
    assert FIELD in page and "image: shop/api:by-hand" in page
    assert "self-heal is off" in page and "kapstan env update dev --self-heal" in page
    # /metrics: the same record, per service and per application (no cluster: no readiness)
    metrics = console.api.client.get("/metrics").text
    where = 'application="shop",environment="dev"'
    assert f'kapstan_service_drifted{{{where},service="api"}} 1.0' in metrics
    assert f'kapstan_service_drifted{{{where},service="web"}} 0.0' in metrics
    assert f"kapstan_application_drifted{{{where}}} 1.0" in metrics
    assert f"kapstan_service_replicas_ready{{{where}" not in metrics
