"""The ``rules`` command line: check, draw and simulate rule tables without a database."""
