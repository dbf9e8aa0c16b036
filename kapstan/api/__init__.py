"""The HTTP API: ``create_app`` builds a FastAPI app whose routers call ``kapstan.actions``.

app          the factory: store lifespan, middleware, routers, health and metrics
errors       KapstanError subclasses -> HTTP statuses, in one place; JSON error bodies
limits       the request body size limit (413)
metrics      Prometheus counters and histograms, one registry per app
auth         the only place that resolves the caller and checks permissions
ratelimit    the login failure limiter (failures kept in the store)
runner       deploys and rollbacks in background threads
schemas      pydantic models: the HTTP edge only
flows/       what an API request adds to an action: approval gate, promotion, triggers,
             webhook signatures
routers/     thin routers: parse, check, call, convert
"""
