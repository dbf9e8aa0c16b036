"""Kapstan: application orchestration for Kubernetes."""

__version__ = "0.1.0"
