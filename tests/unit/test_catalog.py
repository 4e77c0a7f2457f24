"""The catalog: which version judges an instant, composed renames, and the replay's early stop
that compares versions as well as timelines."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from app.domain.catalog import BEGINNING, Catalog, Version
from app.domain.engine import Aliases
from app.domain.replay import Move, Recorded, replay_component
from app.domain.rules import load_rulebook
from app.domain.rules.model import Renames
from tests.api.versioned import lenient
from tests.conftest import RULES

T1, T2 = datetime(2024, 1, 1), datetime(2025, 1, 1)


def test_engine_at_picks_the_latest_version_in_force(tmp_path: Path) -> None:
    first, second = load_rulebook(RULES), lenient(tmp_path)
    catalog = Catalog([Version(second, T1, T1), Version(first, BEGINNING, BEGINNING)])

    assert catalog.engine_at(datetime(1990, 1, 1)).version == first.version
    assert catalog.engine_at(T1).version == second.version  # at effective_from itself
    assert catalog.engine_at(T2).version == second.version
    assert catalog.hashes == [first.version, second.version]


def test_a_later_publish_wins_a_tie(tmp_path: Path) -> None:
    first, second = load_rulebook(RULES), lenient(tmp_path)
    catalog = Catalog([Version(first, T1, T2), Version(second, T1, T1)])

    assert catalog.engine_at(T2).version == first.version


def test_renames_compose_along_the_versions() -> None:
    aliases = Aliases().then(Renames(states={"a": "b"})).then(Renames(states={"b": "c"}))

    assert dict(aliases.states) == {"a": "c", "b": "c"}


def test_the_early_stop_rejudges_an_event_stored_under_another_version(tmp_path: Path) -> None:
    first, second = load_rulebook(RULES), lenient(tmp_path)
    catalog = Catalog([Version(first, BEGINNING, BEGINNING), Version(second, T1, T1)])
    old = catalog.engine_at(BEGINNING)
    at = datetime(2024, 6, 1)

    def move(key: str, kind: str, day: date) -> Move:
        return Move(key, f"supply_energy_{kind}", day, at, at)

    start, end, restart = (
        move("1", "start", date(2024, 1, 1)),
        move("2", "end", date(2024, 2, 1)),
        move("4", "start", date(2024, 3, 1)),
    )
    timeline = old.initial("energy_supply")
    stored = []
    for m in (start, end, restart):  # judged, wrongly, under the old version: the restart is refused
        verdict, timeline = old.judge("energy_supply", timeline, m.type, m.facts())
        stored.append(Recorded(m, verdict, timeline, old.version, m.key))
    late = move("3", "end", date(2024, 2, 1))  # changes nothing: the same end again

    result = replay_component(catalog.engine_at, "energy_supply", stored[1].after, [late], iter(stored[2:]))

    [(record, outcome)] = result.rewritten
    assert record.ref == "4"
    assert (record.verdict.code, outcome.verdict.code) == ("restart_after_end", "accepted")
    assert outcome.version == second.version
