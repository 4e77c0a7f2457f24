"""Issue 8 §6: /openapi.json is a contract that real clients are generated from.

openapi-python-client (a dev dependency) generates a client from the app's own schema into a
temporary folder, offline, as a subprocess; the test imports it and drives the main flow through
it, so readable operation names, typed times and the documented error bodies are what a
client author really gets.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient

PACKAGE = "clr_generated_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture
def generated(client: TestClient, tmp_path: Path) -> Iterator[ModuleType]:
    """The generated package, imported; removed from ``sys.modules`` afterwards."""
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.get("/openapi.json").json()))
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    output = ["--meta", "none", "--output-path", str(tmp_path / PACKAGE)]
    command = [str(GENERATOR), "generate", "--path", str(spec), *output]
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def api(package: ModuleType, module: str) -> Any:
    return importlib.import_module(f"{package.__name__}.api.{module}")


def test_operations_have_readable_names(generated: ModuleType) -> None:
    for module in (
        "events.post_event",
        "events.post_events",
        "contracts.create_contract",
        "contracts.get_contract",
        "contracts.delete_contract",
        "timelines.get_timeline",
        "timelines.get_history",
        "rules.get_rules",
    ):
        assert hasattr(api(generated, module), "sync_detailed"), module


def test_main_flow_through_the_generated_client(generated: ModuleType, client: TestClient) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    http = importlib.import_module(PACKAGE).Client(base_url="http://testserver").set_httpx_client(client)

    created = api(generated, "contracts.create_contract").sync(
        client=http,
        body=models.ContractCreate(contract_number="1234", components=["energy_supply", "battery_optimization"]),
    )
    assert isinstance(created, models.ContractRead)
    assert isinstance(created.created_at, datetime)

    at = datetime(2024, 3, 3, 10, tzinfo=UTC)
    # ``type`` shadows a builtin, so the generator names the field ``type_``; the JSON key stays "type".
    start = models.EventIn(
        type_="battery_optimization_start", contract_number="1234", date=date(2024, 3, 3), created_at=at
    )
    accepted = api(generated, "events.post_event").sync(client=http, body=start)
    assert isinstance(accepted, models.EventResult)
    assert (accepted.status.value, accepted.code) == ("accepted", "accepted")
    assert accepted.created_at == at  # aware, in UTC: the "Z" was read as an offset

    end = models.EventIn(type_="battery_optimization_end", contract_number="1234", date=date(2024, 1, 1))
    rejected = api(generated, "events.post_event").sync_detailed(client=http, body=end)
    assert rejected.status_code == 409
    assert isinstance(rejected.parsed, models.Envelope)
    assert (rejected.parsed.status.value, rejected.parsed.code) == ("rejected", "end_before_start")

    supply = [
        models.EventIn(type_=t, contract_number="1234", date=date(2024, 12, d))
        for t, d in (("supply_energy_start", 1), ("supply_energy_end", 31))
    ]
    batch = api(generated, "events.post_events").sync(client=http, body=supply)
    assert isinstance(batch, models.EventBatchResult)
    assert [r.code for r in batch.results] == ["accepted", "accepted"]
    assert all(isinstance(r.created_at, datetime) for r in batch.results)

    timeline = api(generated, "timelines.get_timeline").sync("1234", client=http)
    assert isinstance(timeline, models.TimelineRead)
    energy = timeline.components["energy_supply"]
    assert (energy.start, energy.end, energy.state) == (date(2024, 12, 1), date(2024, 12, 31), "ended")

    history = api(generated, "timelines.get_history").sync("1234", client=http)
    assert sorted(e.code for e in history.events) == ["accepted", "accepted", "accepted", "end_before_start"]
    for recorded in history.events:
        assert isinstance(recorded.created_at, datetime)
        assert isinstance(recorded.received_at, datetime)

    missing = api(generated, "contracts.get_contract").sync_detailed("9999", client=http)
    assert missing.status_code == 404
    assert (missing.parsed.status.value, missing.parsed.code) == ("error", "contract_not_found")
