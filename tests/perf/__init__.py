"""The performance benchmark: ``python -m tests.perf``. Not part of the test suite (see conftest)."""
