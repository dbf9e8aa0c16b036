"""Thin routers: parse the request, check the caller (``auth``), call an action, convert."""
