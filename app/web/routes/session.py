"""Signing in with an API key, and out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.web.auth import SESSION_COOKIE, open_session
from app.web.console import Console, form_of, prefix, set_cookie


def _safe_next(request: Request, target: str | None) -> str:
    """Only a path inside the console: never another host (no open redirect)."""
    root = prefix(request)
    if target and target.startswith(root + "/") and not target.startswith("//"):
        return target
    return root + "/contracts"


async def login_page(request: Request) -> Response:
    console: Console = request.app.state.console
    principal = console.principal(request)
    model = {"title": "Sign in", "next": _safe_next(request, request.query_params.get("next")), "failed": False}
    return console.render(request, principal, "login.html", model)


async def login(request: Request) -> Response:
    console: Console = request.app.state.console
    form = await form_of(request)
    target = _safe_next(request, form.get("next"))
    cookie = open_session(console.ring, form.get("key", "")) if console.ring.enabled else None
    if cookie is None:
        principal = console.principal(request)
        model = {"title": "Sign in", "next": target, "failed": console.ring.enabled}
        return console.render(request, principal, "login.html", model, 401 if console.ring.enabled else 200)
    response = RedirectResponse(target, 303)
    set_cookie(response, request, SESSION_COOKIE, cookie)
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse(prefix(request) + "/login", 303)
    response.delete_cookie(SESSION_COOKIE, path=prefix(request) + "/")
    return response
