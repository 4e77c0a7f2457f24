"""Webhook subscriptions: signed, ordered, at-least-once delivery of the change feed.

- ``targets``: which URLs may be called (SSRF protection), pure checks plus DNS resolution;
- ``schedule``: the retry schedule and when a subscription turns failing (pure);
- ``signing``: secrets and Standard Webhooks headers;
- ``service`` and ``routes``: managing subscriptions;
- ``dispatcher``: delivering, through ``client`` (aiohttp, checking every connection's address),
  in a child process of each worker (``process``).
"""
