"""Persistence: tables, engines, queries and the single writer that commits."""
