"""Rollouts across environments: the recent ones, and one rollout with each environment's
state, its operation, the approval it waits for and why it failed.

Read through the API's own handlers (``kapstan.api.routers.rollouts``): the same checks (a
rollout is shown to whoever may view every one of its environments). A running rollout's
page reloads itself with htmx while it runs.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from kapstan.api.routers import rollouts as api
from kapstan.web.common import PageRoute, ViewerDep, render

router = APIRouter(route_class=PageRoute)


@router.get("/rollouts")
def rollouts_page(request: Request, viewer: ViewerDep) -> Response:
    found = api.list_rollouts(viewer.caller)
    plans = api.list_plans(viewer.caller)
    return render(request, "rollouts.html", rollouts=found, plans=plans)


@router.get("/rollouts/{rollout_id}")
def rollout_page(request: Request, viewer: ViewerDep, rollout_id: int) -> Response:
    found = api.get_rollout(viewer.caller, request, rollout_id)
    return render(request, "rollout.html", rollout=found)
