"""Changes: the live change feed (issue 11) and webhook subscriptions with deliveries and replay."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from app.web.auth import write_refusal
from app.web.capabilities import CHANGES, DELIVERIES, REPLAY, STREAM, WEBHOOKS
from app.web.client import ApiError, path_of
from app.web.console import Console, back, form_of
from app.web.views.feed import change_rows, delivery_rows, webhook_rows


def listed(document: Any, name: str) -> list[dict[str, Any]]:
    """A list answer, bare or under ``name`` or ``items`` (issue 11 does not fix the envelope)."""
    items = document.get(name, document.get("items", [])) if isinstance(document, dict) else document
    return [item for item in items or [] if isinstance(item, dict)]


async def changes_page(request: Request) -> Response:
    console: Console = request.app.state.console
    principal = console.principal(request)
    refused = console.refuse(request, principal)
    if refused is not None:
        return refused
    caps = console.capabilities
    model: dict[str, Any] = {
        "title": "Changes",
        "missing_feed": caps.missing(CHANGES, STREAM),
        "missing_webhooks": caps.missing(WEBHOOKS, DELIVERIES, REPLAY),
        "changes": [],
        "webhooks": [],
        "error": None,
    }
    api = console.api(request, principal)
    try:
        if not model["missing_feed"]:
            feed = await api.get("/changes", {"limit": 50, "after": request.query_params.get("after")})
            model["changes"], model["next"] = change_rows(feed.get("changes", [])), feed.get("next")
        if not model["missing_webhooks"]:
            model["webhooks"] = webhook_rows(listed(await api.get("/webhooks"), "webhooks"))
            for hook in model["webhooks"]:
                answer = await api.get(path_of("", "webhooks", hook["id"], "deliveries"), {"limit": 20})
                hook["deliveries"] = delivery_rows(listed(answer, "deliveries"))
    except ApiError as exc:
        model["error"] = {"status": exc.status, "code": exc.code, "message": exc.message}
    return console.render(request, principal, "changes.html", model)


class StreamRelay:
    """Relays GET /changes/stream to the page's EventSource, which cannot send an API key header.

    A plain ASGI endpoint: the API's answer (Server-Sent Events, resumable with ``Last-Event-ID``)
    goes through unchanged, chunk by chunk, for as long as the browser stays connected."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        console: Console = request.app.state.console
        principal = console.principal(request)
        refused = console.refuse(request, principal) if not principal.signed_in else None
        missing = console.capabilities.missing(STREAM)
        if refused is None and missing:
            message = f"The live feed needs {missing[0]}, which this service does not serve yet."
            refused = JSONResponse({"status": "error", "message": message, "code": "not_served"}, 501)
        if refused is not None:
            await refused(scope, receive, send)
            return

        async def relay(message: Message) -> None:
            if message["type"] == "http.response.start":  # the outer layers add their own
                dropped = (b"x-request-id", b"x-content-type-options")
                message = {**message, "headers": [h for h in message.get("headers", []) if h[0] not in dropped]}
            await send(message)

        last = request.headers.get("last-event-id")
        headers = [(b"last-event-id", last.encode("latin-1"))] if last else []
        await console.api(request, principal).call(
            "GET",
            "/changes/stream",
            query={"after": request.query_params.get("after")},
            send=relay,
            disconnected=receive,
            headers=headers,
        )


async def replay(request: Request) -> Response:
    console: Console = request.app.state.console
    hook = request.path_params["hook"]
    form = await form_of(request)
    principal = console.principal(request)
    refusal = write_refusal(request, principal, form.get("csrf"))
    if refusal:
        return back(request, "/changes", problem=refusal)
    if not form.get("from_seq", "").isdigit():
        return back(request, "/changes", problem="Replay needs a position: a whole number (seq).")
    try:
        await console.api(request, principal).json(
            "POST", path_of("", "webhooks", hook, "replay"), body={"from_seq": int(form["from_seq"])}
        )
    except ApiError as exc:
        return back(request, "/changes", problem=str(exc))
    return back(request, "/changes", notice=f"Webhook {hook}: redelivery from seq {form['from_seq']} queued.")
