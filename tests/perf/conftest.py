"""Keep pytest out of the benchmark: nothing here is a test, and importing it starts nothing."""

collect_ignore_glob = ["*.py"]
