"""The console as an application of its own, mounted at ``/ui`` by ``app.main``.

Mounted, not included: the service's ``/{number}/events`` would otherwise read ``/ui/events`` as
contract ``ui``. A mount is matched on its prefix before the API's patterns are tried, and ``ui``
is a reserved contract number, so no contract path can ever reach the console or the reverse.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from app.api.security import KeyRing
from app.web.console import HERE, Console, prefix
from app.web.routes.changes import StreamRelay, changes_page, replay
from app.web.routes.contract import add_component, contract_page, revoke
from app.web.routes.contracts import contracts_page
from app.web.routes.rules import rules_page, simulate_form
from app.web.routes.session import login, login_page, logout

MOUNT = "/ui"


async def home(request: Request) -> Response:
    return RedirectResponse(prefix(request) + "/contracts", 303)


async def not_found(request: Request, exc: Exception) -> Response:
    console: Console = request.app.state.console
    principal = console.principal(request)
    error = {"status": 404, "code": "not_found", "message": f"The console has no page at {request.url.path}."}
    return console.render(request, principal, "missing.html", {"title": "Not found", "error": error}, 404)


def create_console(api: FastAPI, ring: KeyRing) -> Starlette:
    console = Starlette(
        exception_handlers={404: not_found},
        routes=[
            Route("/", home),
            Route("/login", login_page, methods=["GET"]),
            Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/contracts", contracts_page),
            Route("/contracts/{number}", contract_page),
            Route("/contracts/{number}/revoke", revoke, methods=["POST"]),
            Route("/contracts/{number}/components", add_component, methods=["POST"]),
            Route("/rules", rules_page),
            Route("/rules/simulate", simulate_form, methods=["POST"]),
            Route("/changes", changes_page),
            Route("/changes/stream", StreamRelay()),
            Route("/webhooks/{hook}/replay", replay, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
    )
    console.state.console = Console(api, ring)
    return console
