"""Contract-lifecycle rules engine."""
