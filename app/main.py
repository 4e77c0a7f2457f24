"""The FastAPI application. ``uvicorn app.main:app`` serves it; nothing is loaded at import.

Run it with ``uvicorn app.main:app --no-access-log``: the app writes its own JSON access line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.routing import Mount

from app.api.docs import install_offline_docs
from app.api.errors import install_error_handlers
from app.api.limits import BodyLimit, BodyLimitMiddleware, document_body_limits
from app.api.responses import document_envelopes
from app.api.routes import contracts, events, health, listing, revocations, rules, timelines
from app.api.security import ApiKeyMiddleware, KeyRing, document_security
from app.background import Background
from app.feed import routes as feed
from app.logging_setup import configure_logging
from app.observability.access import RequestLogMiddleware
from app.observability.access_log import AccessLog
from app.observability.metrics import metrics_endpoint
from app.runtime import open_runtime, settle_garbage_collector
from app.settings import Settings
from app.web.app import MOUNT, create_console
from app.webhooks import routes as webhooks


def create_app(settings: Settings | None = None) -> FastAPI:
    keys, body_limit, access_log = KeyRing(), BodyLimit(), AccessLog()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings or Settings()
        configure_logging(resolved.log_level)
        access_log.enabled = resolved.access_log
        keys.load(resolved.api_keys)
        body_limit.max_bytes = resolved.max_body_bytes
        runtime = open_runtime(resolved)
        app.state.runtime = runtime
        console.state.console.warm()
        background = Background()
        try:
            await background.start(runtime)
            settle_garbage_collector()
            yield
        finally:
            await background.stop()
            await runtime.recorder.store.stop()
            runtime.close()
            access_log.flush()

    app = FastAPI(
        title="Contract lifecycle rules engine",
        description="Tracks each contract component's lifecycle from start and end events, "
        "with rules taken from YAML tables.",
        version="1.0.0",
        lifespan=lifespan,
        # Operation ids are the route names (post_event, get_timeline): generated clients call them.
        generate_unique_id_function=lambda route: route.name,
        docs_url=None,  # served offline by install_offline_docs, below
        redoc_url=None,
    )
    install_offline_docs(app)
    install_error_handlers(app)
    # Hot routes first: matching tries routes in order, and each included router costs the
    # timeline read a few microseconds. Contracts and webhooks stay before timelines, so that
    # /contract/{number} or /webhooks/{id} is never read as /{number}/events; revocations, the
    # listing and the feed have no path of that two-segment shape, so they can follow.
    for module in (events, contracts, webhooks):
        app.include_router(module.router)
    # The console before the two-segment patterns (/{number}/events) that would read /ui/... as a contract.
    console = create_console(app, keys)
    app.router.routes.append(Mount(MOUNT, app=console, name="console"))
    for module in (timelines, revocations, listing, feed, rules, health):
        app.include_router(module.router)
    app.add_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    # The last added runs first: log and time everything, then check the key, then the body size.
    app.add_middleware(BodyLimitMiddleware, limit=body_limit)
    app.add_middleware(ApiKeyMiddleware, ring=keys)
    app.add_middleware(RequestLogMiddleware, access_log=access_log)
    app.state.access_log = access_log
    _document_http_layers(app, keys)
    return app


def _document_http_layers(app: FastAPI, keys: KeyRing) -> None:
    """Add what the middlewares answer to /openapi.json: body limits, and keys when configured."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            document_body_limits(schema)
            if keys.enabled:
                document_security(schema)
            document_envelopes(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


app = create_app()
