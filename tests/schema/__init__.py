"""Property-based tests of the API against its own OpenAPI schema."""
