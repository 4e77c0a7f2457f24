"""Logs, request ids, metrics and health probes."""
