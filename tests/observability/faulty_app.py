"""The service with test-only routes that fail, served by a real uvicorn in test_real_server.py.

A real server is the honest check for an unhandled exception: Starlette's ServerErrorMiddleware
and uvicorn both act on it, and neither runs the same way under the test client.
"""

from __future__ import annotations

from app.domain.errors import Unavailable
from app.main import create_app

app = create_app()


@app.get("/boom", include_in_schema=False)
def boom() -> None:
    raise RuntimeError("boom: an unhandled error")


@app.get("/unavailable", include_in_schema=False)
def unavailable() -> None:
    raise Unavailable("The database does not take writes.", "storage_unavailable")
