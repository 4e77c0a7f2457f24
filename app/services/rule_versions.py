"""Rule-table versions in the database: start-up, publishing, and the catalog services judge by.

Every host and worker loads every version from the ``rule_versions`` table; the tables in
``RULES_DIR`` only propose one. At start-up (``synchronise``):

* tables the database has never seen are published, effective from that moment, and logged;
* tables equal to the most recently published version are used as they are;
* tables equal to an older version are stale: the service refuses to start, so that a host
  deployed with old tables cannot roll the rules back;
* tables that would orphan stored names (see ``app.domain.orphans``) are refused too.

The first version is stored effective from ``BEGINNING`` (0001-01-01): it is in force for all
history, however old. Effective dates only move forward: a new version must take effect after
the latest one, or it would be in force only until that one, a trap for whoever backdates it.

``publish`` stores a version effective from a chosen instant (``rules publish``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, text

from app.db import queries
from app.domain.catalog import BEGINNING, Catalog, Version
from app.domain.engine import Aliases
from app.domain.orphans import Orphan, orphans
from app.domain.rules import RulesError
from app.domain.rules.loader import content_hash, inspect_content
from app.domain.rules.model import Rulebook

logger = logging.getLogger(__name__)


class RulesRefused(RuntimeError):
    """These tables may not be used with this database; the message says why and what to do."""


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def content_of(rulebook: Rulebook) -> str:
    return json.dumps(rulebook.content)  # in table order; the hash sorts keys itself


def catalog_of(stored: list[queries.StoredVersion]) -> Catalog:
    """The catalog of stored versions; each version's content is checked again as it is loaded."""
    versions = []
    for row in stored:
        content = json.loads(row.content)
        inspection = inspect_content(content, f"rule version {row.hash}")
        if inspection.rulebook is None:
            raise RulesError(inspection.findings)
        if content_hash(content) != row.hash:
            raise RulesRefused(f"rule version {row.hash}: its stored content does not match its hash.")
        versions.append(Version(inspection.rulebook, row.effective_from, row.published_at))
    return Catalog(versions)


def load_catalog(conn: Connection) -> Catalog | None:
    stored = queries.rule_versions(conn)
    return catalog_of(stored) if stored else None


def orphans_against(conn: Connection, catalog: Catalog | None, rulebook: Rulebook) -> list[Orphan]:
    """Stored names ``rulebook`` would orphan if it became the latest version of ``catalog``."""
    aliases = Aliases()
    for version in catalog.versions if catalog else ():
        aliases = aliases.then(version.rulebook.renames)
    return orphans(rulebook, aliases.then(rulebook.renames), queries.name_usage(conn))


def _lock_versions(conn: Connection) -> None:
    """Two workers starting at once must not both publish: serialise on the versions table."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE rule_versions IN SHARE ROW EXCLUSIVE MODE"))


def synchronise(db: Engine, rulebook: Rulebook) -> Catalog:
    """Start-up: publish unseen tables effective now, accept the latest, refuse stale ones."""
    with db.begin() as conn:
        _lock_versions(conn)
        stored = queries.rule_versions(conn)
        if stored and stored[-1].hash == rulebook.version:
            return catalog_of(stored)
        catalog = catalog_of(stored) if stored else None
        if catalog is not None and catalog.version(rulebook.version) is not None:
            raise RulesRefused(
                f"The rule tables in RULES_DIR are version {rulebook.version}, which is older than the latest "
                f"published version {stored[-1].hash} (published {stored[-1].published_at:%Y-%m-%d %H:%M} UTC). "
                "A host with stale tables must not roll the rules back: deploy the current tables "
                "(GET /rules?version=... shows them) and start again."
            )
        found = orphans_against(conn, catalog, rulebook)
        if found:
            raise RulesRefused(
                f"The rule tables in RULES_DIR (version {rulebook.version}) would orphan stored data:\n"
                + "\n".join(f"  {o}" for o in found)
            )
        moment = now_utc()
        if catalog is not None and catalog.versions[-1].effective_from > moment:
            scheduled = catalog.versions[-1]
            raise RulesRefused(
                f"Version {scheduled.hash} is scheduled from {scheduled.effective_from:%Y-%m-%d %H:%M} UTC, so the "
                f"unpublished tables in RULES_DIR ({rulebook.version}) cannot take effect now. Publish them with "
                "'rules publish --effective-from' after it, or deploy that version's tables."
            )
        queries.insert_rule_version(
            conn,
            hash=rulebook.version,
            content=content_of(rulebook),
            effective_from=moment if catalog is not None else BEGINNING,
            published_at=moment,
        )
        logger.warning(
            "rules %s were not published yet: published them, effective from %sZ%s",
            rulebook.version,
            moment.isoformat(timespec="seconds"),
            " (the first version: in force for all history too)" if catalog is None else "",
        )
        return catalog_of(queries.rule_versions(conn))


@dataclass(frozen=True, slots=True)
class Plan:
    """A publish worked out before it is done: the catalog it makes and the contracts it affects."""

    rulebook: Rulebook
    effective_from: datetime
    catalog: Catalog
    affected: list[tuple[int, str]]
    """Contracts holding events created at or after ``effective_from``: re-judged by the publish."""


def plan_publish(
    conn: Connection, rulebook: Rulebook, effective_from: datetime, *, lead: timedelta, backdate: bool
) -> Plan:
    """Check a publish without doing it; raise ``RulesRefused`` with the reason when it may not be done."""
    earliest = now_utc() + lead
    if effective_from < earliest and not backdate:
        raise RulesRefused(
            f"--effective-from {effective_from.isoformat(timespec='seconds')}Z is earlier than now plus the pickup "
            f"delay ({earliest.isoformat(timespec='seconds')}Z): running services could judge events under the old "
            "version that this one should judge. Choose a later instant, or pass --backdate to re-judge "
            "the events it affects."
        )
    catalog = load_catalog(conn)
    if catalog is not None and effective_from <= catalog.versions[-1].effective_from:
        latest = catalog.versions[-1]
        raise RulesRefused(
            f"--effective-from must be later than {latest.effective_from.isoformat(timespec='seconds')}Z, from when "
            f"version {latest.hash} is in force: a version effective before it would be in force only until it."
        )
    found = orphans_against(conn, catalog, rulebook)
    if found:
        raise RulesRefused(
            f"Version {rulebook.version} would orphan stored data:\n" + "\n".join(f"  {o}" for o in found)
        )
    versions = [*(catalog.versions if catalog else ()), Version(rulebook, effective_from, now_utc())]
    return Plan(rulebook, effective_from, Catalog(versions), queries.events_created_from(conn, effective_from))


def store_version(conn: Connection, plan: Plan) -> None:
    queries.insert_rule_version(
        conn,
        hash=plan.rulebook.version,
        content=content_of(plan.rulebook),
        effective_from=plan.effective_from,
        published_at=now_utc(),
    )
    logger.warning(
        "published rules %s effective from %sZ; %d contract(s) hold events created since then",
        plan.rulebook.version,
        plan.effective_from.isoformat(timespec="seconds"),
        len(plan.affected),
    )
