"""Changes: the live change feed (issue 11) and webhook subscriptions with deliveries and replay."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from app.db import feed as feed_queries
from app.runtime import Runtime
from app.web.auth import write_refusal
from app.web.capabilities import CHANGES, DELIVERIES, REPLAY, STREAM, WEBHOOKS
from app.web.client import ApiError, path_of
from app.web.console import Console, back, form_of
from app.web.views.feed import change_rows, delivery_rows, webhook_rows

FEED_PAGE = 50


def listed(document: Any, name: str) -> list[dict[str, Any]]:
    """The list under ``name`` in an answer such as ``{"webhooks": [...]}``."""
    items = document.get(name, []) if isinstance(document, dict) else []
    return [item for item in items or [] if isinstance(item, dict)]


def _latest_start(conn: Connection) -> int:
    """Where the page of the latest ``FEED_PAGE`` records starts, never below what retention pruned.

    The one read the console makes outside the API: GET /changes reads forward from a position
    and has no "the latest N"; reading from 0 would show the oldest records, or a 410 once
    retention removed some."""
    return max(
        feed_queries.position(conn, feed_queries.PRUNED), feed_queries.position(conn, feed_queries.HEAD) - FEED_PAGE
    )


def _error(exc: ApiError) -> dict[str, Any]:
    return {"status": exc.status, "code": exc.code, "message": exc.message}


async def changes_page(request: Request) -> Response:
    console: Console = request.app.state.console
    principal = console.principal(request)
    refused = console.refuse(request, principal)
    if refused is not None:
        return refused
    caps = console.capabilities
    asked = request.query_params.get("after", "")
    model: dict[str, Any] = {
        "title": "Changes",
        "missing_feed": caps.missing(CHANGES, STREAM),
        "missing_webhooks": caps.missing(WEBHOOKS, DELIVERIES, REPLAY),
        "changes": [],
        "next": None,
        "earlier": None,
        "live": False,
        "webhooks": [],
        "webhooks_need_write": not principal.can_write,
        "error": None,
        "webhooks_error": None,
    }
    api = console.api(request, principal)
    if not model["missing_feed"]:
        try:
            runtime: Runtime = console.api_app.state.runtime
            after = int(asked) if asked.isdigit() else await runtime.reader.run(_latest_start)
            feed = await api.get("/changes", {"limit": FEED_PAGE, "after": after})
            records = feed.get("changes", [])
            model["changes"] = change_rows(records)
            full = len(records) == FEED_PAGE
            model["next"] = feed.get("next") if full else None
            model["live"] = not full  # the page reaches the head: the stream carries on from its last row
            model["after"] = after
            model["earlier"] = max(0, after - FEED_PAGE) if after > 0 else None
        except ApiError as exc:
            model["error"] = _error(exc)
    # The API keeps webhook management to write keys, even to read: it names the receivers.
    if not model["missing_webhooks"] and principal.can_write:
        try:
            model["webhooks"] = webhook_rows(listed(await api.get("/webhooks"), "webhooks"))
            for hook in model["webhooks"]:
                answer = await api.get(path_of("", "webhooks", hook["id"], "deliveries"), {"limit": 20})
                hook["deliveries"] = delivery_rows(listed(answer, "deliveries"))
        except ApiError as exc:
            model["webhooks_error"] = _error(exc)
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
    return back(
        request,
        "/changes",
        notice=f"Webhook {hook}: redelivery from seq {form['from_seq']} on is queued; attempts appear below.",
    )
