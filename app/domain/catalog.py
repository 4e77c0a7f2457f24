"""The catalog of rule-table versions: which tables judge an event, as a pure function of time.

As in Kill Bill's catalog, versions are ranked by ``effective_from``: an event is judged by the
latest version whose ``effective_from`` is at or before its ``created_at``. The first version
is in force from the beginning of time, so that history older than the service is judged too.
Two versions effective at the same instant: the one published later wins.

Each version's engine also knows how names stored under the versions before it map onto its
own (``renamed:``), composed along the versions: ``a`` renamed ``b`` in one version and ``b``
renamed ``c`` in the next reads as ``c``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.domain.engine import Aliases, RulesEngine
from app.domain.rules.model import Rulebook

EngineAt = Callable[[datetime], RulesEngine]
"""Chooses the engine for an event from its ``created_at`` (naive UTC)."""

BEGINNING = datetime.min


@dataclass(frozen=True, slots=True)
class Version:
    rulebook: Rulebook
    effective_from: datetime
    """Naive UTC; the first version of a catalog is in force before this too."""
    published_at: datetime

    @property
    def hash(self) -> str:
        return self.rulebook.version


class Catalog:
    def __init__(self, versions: Sequence[Version]) -> None:
        if not versions:
            raise ValueError("a catalog holds at least one version")
        self.versions = tuple(sorted(versions, key=lambda v: (v.effective_from, v.published_at)))
        self._starts = [v.effective_from for v in self.versions]
        self._engines: list[RulesEngine] = []
        past = Aliases()
        for index, version in enumerate(self.versions):
            past = aliases = past.then(version.rulebook.renames)
            later = _later_component_names(self.versions[index + 1 :])
            if later:  # a component is one thing under all its names: an older version knows its later ones
                aliases = Aliases(past.states, past.event_types, {**later, **past.components})
            self._engines.append(RulesEngine(version.rulebook, aliases=aliases))
        self._only = self._engines[0] if len(self._engines) == 1 else None
        self._known: dict[tuple[int, ...], Catalog] = {}

    @classmethod
    def single(cls, rulebook: Rulebook) -> Catalog:
        """One version, in force at every instant: the tables of a folder, for simulate and tests."""
        return cls([Version(rulebook, BEGINNING, BEGINNING)])

    def engine_at(self, instant: datetime) -> RulesEngine:
        """The engine of the version in force at ``instant`` (naive UTC)."""
        if self._only is not None:  # the common case costs one attribute test
            return self._only
        return self._engines[max(bisect_right(self._starts, instant) - 1, 0)]

    def known_at(self, instant: datetime) -> Catalog:
        """The catalog as it was at ``instant`` (naive UTC): the versions published by then (the
        first version at least). ``as_known_at`` judges with it, so that a version published
        later, even backdated, does not change what the service answered at ``instant``."""
        chosen = tuple(i for i, v in enumerate(self.versions) if v.published_at <= instant) or (0,)
        if len(chosen) == len(self.versions):
            return self
        found = self._known.get(chosen)
        if found is None:  # built once per set of versions: a catalog builds a machine per lifecycle
            found = self._known[chosen] = Catalog([self.versions[i] for i in chosen])
        return found

    @property
    def latest(self) -> RulesEngine:
        """The version with the latest ``effective_from``: what new tables are compared with."""
        return self._engines[-1]

    @property
    def hashes(self) -> list[str]:
        return [v.hash for v in self.versions]

    def version(self, content_hash: str) -> Version | None:
        return next((v for v in reversed(self.versions) if v.hash == content_hash), None)

    def engine_of(self, content_hash: str) -> RulesEngine | None:
        for version, engine in zip(reversed(self.versions), reversed(self._engines), strict=True):
            if version.hash == content_hash:
                return engine
        return None


def _later_component_names(later: Sequence[Version]) -> dict[str, str]:
    """Names that later versions give components, each mapped back to the name before them all:
    a contract created after a rename holds the new name, and its events dated before the rename
    are judged by a version that knows only the old one."""
    back: dict[str, str] = {}
    for version in later:
        for old, new in version.rulebook.renames.components.items():
            back[new] = back.get(old, old)
    return back
