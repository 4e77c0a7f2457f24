"""GET /changes (a page, or a long poll with ``wait``) and GET /changes/stream (Server-Sent Events)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request, Response
from sse_starlette import EventSourceResponse

from app.api.deps import RuntimeDep
from app.api.responses import error_examples
from app.api.schemas import Name
from app.domain.errors import DomainError
from app.feed.reading import FeedPage, read_page
from app.feed.schemas import CHANGE_EXAMPLE, MAX_SEQ, ChangesPage
from app.runtime import Runtime

router = APIRouter(tags=["change feed"])
EXPIRED = (
    410,
    "error",
    "feed_position_expired",
    "Position 12 is no longer in the feed: records up to seq 480 were removed by retention (FEED_RETENTION). ...",
)
MAX_WAIT, STREAM_IDLE = 60.0, 15.0
After = Annotated[
    int, Query(ge=0, le=MAX_SEQ, description="Read records with a seq above this one; 0 reads from the start.")
]
Limit = Annotated[int, Query(ge=1, le=1000, description="Most records in the answer.")]
Wait = Annotated[float, Query(ge=0, le=MAX_WAIT, description="With nothing new, wait up to this many seconds.")]
ContractFilter = Annotated[Name | None, Query(description="Only this contract's records.")]
LastEventId = Annotated[int | None, Header(ge=0, le=MAX_SEQ, description="Resume after this seq (set by browsers).")]
ComponentFilter = Annotated[Name | None, Query(description="Only this component's records (no contract-level ones).")]


async def _read(runtime: Runtime, after: int, limit: int, contract: str | None, component: str | None) -> FeedPage:
    work = partial(read_page, after=after, limit=limit, contract_number=contract, component=component)
    # A large page is read and joined on a thread: the loop keeps serving meanwhile.
    return await (runtime.reader.run_off_loop(work) if limit > 100 else runtime.reader.run(work))


@router.get(
    "/changes",
    response_model=ChangesPage,
    responses={
        200: {"content": {"application/json": {"example": {"changes": [CHANGE_EXAMPLE], "next": 42}}}},
        **error_examples(EXPIRED),
    },
)
async def get_changes(
    runtime: RuntimeDep,
    *,
    after: After = 0,
    limit: Limit = 100,
    wait: Wait = 0,
    contract_number: ContractFilter = None,
    component: ComponentFilter = None,
) -> Response:
    """Records after ``after`` in seq order; pass ``next`` back as ``after``. With ``wait``, an
    answer that would be empty waits until a record commits or ``wait`` seconds pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    page = await _read(runtime, after, limit, contract_number, component)
    while not page.records and loop.time() < deadline:
        if await runtime.notifier.wait_beyond(page.next, deadline - loop.time()):
            page = await _read(runtime, page.next, limit, contract_number, component)
    body = b'{"changes":[' + ",".join(body for _, body in page.records).encode() + b'],"next":%d}' % page.next
    return Response(body, media_type="application/json")


@router.get(
    "/changes/stream",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "One `change` event per record."},
        **error_examples(EXPIRED),
    },
)
async def stream_changes(
    request: Request,
    runtime: RuntimeDep,
    *,
    after: After = 0,
    contract_number: ContractFilter = None,
    component: ComponentFilter = None,
    last_event_id: Annotated[
        int | None, Header(ge=0, le=MAX_SEQ, description="Resume after this seq (set by browsers).")
    ] = None,
) -> EventSourceResponse:
    """The same records as Server-Sent Events: ``id`` is the seq, ``event`` is ``change``, ``data``
    the record. A reconnecting client sends ``Last-Event-ID`` and resumes after it."""
    position = last_event_id if last_event_id is not None else after
    first = await _read(runtime, position, 500, contract_number, component)  # 410 before the stream starts
    if request.scope.get("head_request"):  # HEAD: the GET's headers, and a body that ends at once
        return EventSourceResponse(_nothing(), ping=STREAM_IDLE)
    return EventSourceResponse(_events(runtime, first, contract_number, component), ping=STREAM_IDLE)


async def _nothing() -> AsyncIterator[dict[str, Any]]:
    for _ in ():
        yield {}


async def _events(
    runtime: Runtime, page: FeedPage, contract: str | None, component: str | None
) -> AsyncIterator[dict[str, Any]]:
    while True:
        for seq, body in page.records:
            yield {"id": str(seq), "event": "change", "data": body}
        if not page.records:
            await runtime.notifier.wait_beyond(page.next, STREAM_IDLE)
        try:
            page = await _read(runtime, page.next, 500, contract, component)
        except DomainError as exc:  # pruned under a slow client, or storage gone: say so and end
            yield {
                "event": "error",
                "data": orjson.dumps({"status": "error", "message": exc.message, "code": exc.code}).decode(),
            }
            return
