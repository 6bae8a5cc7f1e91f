"""Integration health: Prometheus metrics, structured logs, the health numbers and alerts."""
