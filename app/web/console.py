"""What every console route shares: the API it calls, the keys, the templates, and how a page
answers (HTML, or its JSON twin with ``?format=json``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.api.security import READ, KeyRing
from app.domain.rules import Rulebook
from app.observability.request_ids import current_request_id
from app.web.auth import CSRF_COOKIE, Principal, new_csrf_cookie, principal_of
from app.web.capabilities import Capabilities
from app.web.client import Api

HERE = Path(__file__).parent
SELF_ONLY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""Console pages load and send to this host only; scripts only from its own files (no inline script)."""
PAGES = (("contracts", "Contracts"), ("rules", "Rules"), ("changes", "Changes"))


class Console:
    def __init__(self, api: FastAPI, ring: KeyRing) -> None:
        self.api_app, self.ring = api, ring
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html", "svg"]),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )

    def warm(self) -> None:
        """Build the OpenAPI schema and compile every template now, at start-up, so that the first
        page an operator opens does not pay for them (a few hundred milliseconds)."""
        _ = self.capabilities
        for name in self.templates.list_templates():
            self.templates.get_template(name)

    @cached_property
    def capabilities(self) -> Capabilities:
        return Capabilities(self.api_app.openapi())

    def rulebook(self) -> Rulebook:
        rulebook: Rulebook = self.api_app.state.runtime.engine.rulebook
        return rulebook

    def principal(self, request: Request) -> Principal:
        return principal_of(request, self.ring)

    def api(self, request: Request, principal: Principal) -> Api:
        # The API's access lines for this page carry the page's own request id.
        return Api(self.api_app, grant=principal.scope or READ, request_id=current_request_id.get())

    def refuse(self, request: Request, principal: Principal) -> Response | None:
        """A redirect to the sign-in page (or a 401 for a JSON twin) unless the user may read."""
        if principal.signed_in:
            return None
        if wants_json(request) or principal.via_header:
            return JSONResponse(
                {"status": "error", "message": "A valid API key is required.", "code": "unauthorized"}, 401
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{prefix(request)}/login?{urlencode({'next': target})}", 303)

    def render(
        self, request: Request, principal: Principal, template: str, model: dict[str, Any], status: int = 200
    ) -> Response:
        """The page, or its JSON twin: the same model the template drew."""
        if wants_json(request):
            return JSONResponse(model, status)
        context = {
            **model,
            "model": model,
            "principal": principal,
            "root": prefix(request),
            "pages": PAGES,
            "notice": request.query_params.get("notice"),
            "problem": request.query_params.get("problem"),
        }
        # Open service: forms carry the double-submit token of a cookie, made on the first page.
        fresh = new_csrf_cookie() if principal.open and not principal.csrf else None
        context["csrf"] = fresh or principal.csrf
        response = HTMLResponse(self.templates.get_template(template).render(context), status)
        response.headers["Content-Security-Policy"] = SELF_ONLY
        if fresh:
            set_cookie(response, request, CSRF_COOKIE, fresh)
        return response


def prefix(request: Request) -> str:
    """Where the console is mounted (``/ui``), with any root path in front."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


async def form_of(request: Request) -> dict[str, str]:
    """An urlencoded form body as a dict of the first value of each field."""
    body = (await request.body()).decode("utf-8", "replace")
    return {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}


def set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    """A session cookie (no Max-Age) that scripts cannot read and other sites cannot send."""
    response.set_cookie(
        name,
        value,
        path=prefix(request) + "/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def back(request: Request, path: str, **message: str) -> RedirectResponse:
    """After a form: back to a page, with a notice or a problem to show."""
    query = urlencode({k: v for k, v in message.items() if v})
    return RedirectResponse(f"{prefix(request)}{path}" + (f"?{query}" if query else ""), 303)
