"""Helpers for tests with several rule versions: edited copies of the default tables, and
publishing a version into a running app's database (then letting the app pick it up)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient

from app.db import queries
from app.domain.rules import Rulebook, load_rulebook
from app.runtime import Runtime
from app.services.rule_versions import content_of, now_utc
from tests.conftest import RULES


def edited_rules(tmp_path: Path, name: str, edits: dict[str, dict[str, str]]) -> Path:
    """A copy of the default tables with ``{file: {old: new}}`` text replacements."""
    target = tmp_path / name
    shutil.copytree(RULES, target)
    for file, replacements in edits.items():
        text = (target / file).read_text()
        for old, new in replacements.items():
            assert old in text, f"{old!r} not in {file}"
            text = text.replace(old, new)
        (target / file).write_text(text)
    return target


def publish_into(client: TestClient, rulebook: Rulebook, effective_from: datetime) -> None:
    """Store ``rulebook`` as a version effective from ``effective_from`` and make the app use it."""
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.engines.writer.begin() as conn:
        queries.insert_rule_version(
            conn,
            hash=rulebook.version,
            content=content_of(rulebook),
            effective_from=effective_from,
            published_at=now_utc(),
        )
    assert runtime.watcher.poll(), "the running app did not see the new version"


def lenient(tmp_path: Path) -> Rulebook:
    """The default tables where an ended component may start again."""
    return load_rulebook(
        edited_rules(
            tmp_path,
            "lenient",
            {
                "lifecycles.yaml": {
                    "      - {trigger: start, source: ended, code: restart_after_end}\n": "",
                    "      - {trigger: start, source: started, dest: started, set: start}\n": (
                        "      - {trigger: start, source: started, dest: started, set: start}\n"
                        "      - {trigger: start, source: ended, dest: started, set: start}\n"
                    ),
                    "  restart_after_end: A terminated component cannot be restarted.\n": "",
                }
            },
        )
    )
