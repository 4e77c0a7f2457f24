"""One place that turns every failure into the envelope ``{"status", "message", "code"}``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

from app.domain.errors import DomainError

logger = logging.getLogger(__name__)

STATUS_OF_KIND = {"not_found": 404, "conflict": 409, "invalid": 422, "too_large": 413, "gone": 410, "unavailable": 503}


def envelope(status_code: int, status: str, message: str, code: str) -> JSONResponse:
    return JSONResponse({"status": status, "message": message, "code": code}, status_code=status_code)


def _where(loc: Sequence[Any], body_name: str) -> str:
    """``events[3].created_at`` for ``("body", 3, "created_at")``: a batch item by its index."""
    text = ""
    for part in loc[1:] if loc[:1] == ("body",) else loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    if loc[:1] == ("body",) and (not text or text.startswith("[")):
        text = body_name + text
    return text or "body"


def _describe(exc: RequestValidationError, body_name: str) -> str:
    parts = []
    for error in exc.errors()[:5]:
        parts.append(f"{_where(tuple(error.get('loc', ())), body_name)}: {error.get('msg', 'invalid')}")
    more = len(exc.errors()) - 5
    return "Invalid request. " + "; ".join(parts) + (f"; and {more} more." if more > 0 else ".")


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return envelope(STATUS_OF_KIND[exc.kind], exc.status, exc.message, exc.code)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    body_field = getattr(request.scope.get("route"), "body_field", None)
    return envelope(422, "error", _describe(exc, getattr(body_field, "name", "body")), "invalid_payload")


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    codes = {
        400: "invalid_body",
        404: "not_found",
        405: "method_not_allowed",
        401: "unauthorized",
        403: "forbidden",
        413: "too_large",
    }
    response = envelope(exc.status_code, "error", str(exc.detail), codes.get(exc.status_code, "http_error"))
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
    return response


def _allowed_methods(request: Request) -> set[str]:
    """Every method of every route on this path: Starlette names only the first route's."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return methods


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return envelope(500, "error", "Internal error; it has been logged.", "internal_error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
