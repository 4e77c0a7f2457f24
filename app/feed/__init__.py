"""The change feed: every committed change of stored state, in commit order, gapless.

- ``changes``: what a change is (pure values) and the record clients receive;
- ``outbox``: the seam that write paths call, and the before-commit step that numbers records;
- ``notifier``: wakes long polls, streams and the webhook dispatcher without polling per client;
- ``reading``, ``retention``, ``routes``: reading pages, pruning, and the HTTP endpoints.
"""
