"""The FastAPI application. ``uvicorn app.main:app`` serves it; nothing is loaded at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.errors import install_error_handlers
from app.api.routes import contracts, events, health, rules, timelines
from app.logging_setup import configure_logging
from app.runtime import open_runtime
from app.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings or Settings()
        configure_logging(resolved.log_level)
        runtime = open_runtime(resolved)
        app.state.runtime = runtime
        try:
            yield
        finally:
            runtime.close()

    app = FastAPI(
        title="Contract lifecycle rules engine",
        description="Tracks each contract component's lifecycle from start and end events, "
        "with rules taken from YAML tables.",
        version="1.0.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for module in (contracts, events, timelines, rules, health):
        app.include_router(module.router)
    return app


app = create_app()
