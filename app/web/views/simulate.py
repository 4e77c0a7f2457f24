"""The console's simulate form: pasted events through the same code as ``rules simulate``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.cli.events_file import EventsFileError, events_from_json
from app.cli.simulate import parse_holdings, run_simulation, verdict_text
from app.domain.rules import Rulebook


def simulate(rulebook: Rulebook, events_text: str, contracts_text: str) -> dict[str, Any]:
    """Verdicts in input order and final timelines; ``error`` says what is wrong with the input."""
    try:
        events = events_from_json(events_text, "pasted events", datetime.now(UTC).replace(tzinfo=None))
        holdings = parse_holdings([line for line in contracts_text.splitlines() if line.strip()], rulebook)
    except (EventsFileError, ValueError) as exc:
        return {"error": str(exc), "verdicts": [], "timelines": {}}
    verdicts, timelines = run_simulation(rulebook, events, holdings)
    return {
        "error": None,
        "verdicts": [
            {
                "position": index + 1,
                "contract_number": event.contract_number,
                "type": event.facts.type,
                "date": event.facts.day.isoformat(),
                "accepted": verdict is not None and verdict.accepted,
                "verdict": verdict_text(verdict),
            }
            for index, (event, verdict) in enumerate(zip(events, verdicts, strict=True))
        ],
        "timelines": {
            number: [
                {
                    "component": name,
                    "state": t.state,
                    "start": t.start.isoformat() if t.start else None,
                    "end": t.end.isoformat() if t.end else None,
                }
                for name, t in components.items()
            ]
            for number, components in timelines.items()
        },
    }
