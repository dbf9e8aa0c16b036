"""The deploy engine: plan, ordered apply, readiness, pruning and rollback, driven over ports."""
