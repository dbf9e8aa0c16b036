"""Kapstan touches only what it owns: ownership refusals, --adopt, and autoscaled replicas."""
