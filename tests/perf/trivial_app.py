"""The baseline: FastAPI parsing the service's own event body and answering a constant.

Served by uvicorn with the service's settings, it measures what the framework and the
server cost on this machine, so the service's figures can be read as a ratio of it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app.api.schemas import EventIn

ACCEPTED = {"status": "accepted", "message": "Event processed successfully.", "code": "accepted"}
TIMELINE = {
    "contract_number": "1",
    "components": {"energy_supply": {"start": "2024-03-03", "end": None, "state": "started"}},
}

app = FastAPI()


@app.post("/event")
async def post_event(event: EventIn) -> dict[str, Any]:
    return ACCEPTED


@app.get("/{contract_number}/contract_timeline")
async def get_timeline(contract_number: str) -> dict[str, Any]:
    return TIMELINE


@app.get("/ready")
async def ready() -> dict[str, Any]:
    return ACCEPTED
