"""The console in a real browser against a real server: what an operator sees and does."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ServerOf, Visits, shoot
from tests.e2e.receiver import Receiver
from tests.e2e.server import UvicornServer

pytestmark = pytest.mark.e2e

EVENTS = [
    {
        "type": "supply_energy_start",
        "contract_number": "1234",
        "date": "2024-03-01",
        "created_at": "2024-03-01T09:00:00Z",
    },
    {
        "type": "battery_optimization_start",
        "contract_number": "1234",
        "date": "2024-03-10",
        "created_at": "2024-03-02T09:00:00Z",
    },
    {
        "type": "supply_energy_end",
        "contract_number": "1234",
        "date": "2024-06-30",
        "created_at": "2024-03-04T09:00:00Z",
    },
]


def seed(api: httpx.Client, number: str = "1234") -> None:
    components = ["energy_supply", "battery_optimization", "heatpump_optimization"]
    assert api.post("/contract/", json={"contract_number": number, "components": components}).status_code == 201
    events = [dict(e, contract_number=number) for e in EVENTS]
    assert all(r["status"] == "accepted" for r in api.post("/events", json=events).json()["results"])


def bars(page: Page) -> list[tuple[str | None, str | None, str | None]]:
    found = page.locator("g.component rect.bar")
    return [
        (
            found.nth(i).evaluate("e => e.closest('g').dataset.component"),
            found.nth(i).get_attribute("data-start"),
            found.nth(i).get_attribute("data-end"),
        )
        for i in range(found.count())
    ]


def test_open_a_contract_by_keyboard_and_see_one_bar_per_component(
    page: Page, server: UvicornServer, api: httpx.Client, screenshots: Path
) -> None:
    seed(api)
    page.goto(f"{server.base_url}/ui/")
    expect(page.get_by_role("heading", name="Contracts", exact=True)).to_be_visible()
    page.get_by_label("Contract number").focus()
    page.keyboard.type("1234")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/ui/contracts/1234$"))
    assert bars(page) == [("energy_supply", "2024-03-01", "2024-06-30"), ("battery_optimization", "2024-03-10", "")]
    expect(page.locator("g.component[data-component=heatpump_optimization] text.none")).to_have_text(
        "not_started: not started"
    )
    expect(page.locator("table.events tbody tr")).to_have_count(3)
    expect(page.get_by_text("All times are shown in UTC.")).to_be_visible()
    shoot(page, screenshots, "contract-1234")


def test_search_by_prefix_then_open_a_contract(page: Page, server: UvicornServer, api: httpx.Client) -> None:
    seed(api, "1234")
    seed(api, "5678")
    page.goto(f"{server.base_url}/ui/contracts")
    page.get_by_label("Number starts with").fill("12")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="1234").click()
    assert len(bars(page)) == 2


def test_revoke_then_look_back_before_the_revocation(
    page: Page, server: UvicornServer, api: httpx.Client, screenshots: Path
) -> None:
    seed(api)
    # An instant, to the second, after the seeding committed and before the revocation does
    # (the console's control has a resolution of one second; server and test share one clock).
    time.sleep(1.1)
    instant = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    time.sleep(1.1)
    page.goto(f"{server.base_url}/ui/contracts/1234")
    page.locator("tr", has_text="supply_energy_end").get_by_role("button", name="Revoke…").click()
    page.get_by_label("Reason").fill("sent by mistake")
    page.get_by_role("button", name="Revoke event").click()
    expect(page.get_by_role("status").filter(has_text="revoked")).to_be_visible()
    assert ("energy_supply", "2024-03-01", "") in bars(page)
    expect(page.locator("tr.revoked del")).to_have_count(2)
    shoot(page, screenshots, "contract-1234-revoked")
    page.get_by_label("As known at (UTC)").fill(instant)
    page.get_by_role("button", name="Look back").click()
    assert ("energy_supply", "2024-03-01", "2024-06-30") in bars(page)
    shoot(page, screenshots, "contract-1234-as-known-before-revocation")


def test_rules_page_shows_every_row_of_the_default_lifecycle(
    page: Page, server: UvicornServer, screenshots: Path
) -> None:
    page.goto(f"{server.base_url}/ui/rules")
    diagram = page.locator("section.lifecycle svg.diagram")
    expect(diagram.locator("g.row")).to_have_count(8)
    for label in (
        "↺ start / sets start",
        "end [date_not_before_start] / sets end",
        "↺ end [date_not_before_start] / sets end",
        "end ✗ end_before_start (when date_not_before_start fails)",
        "end ✗ end_without_start",
        "start ✗ restart_after_end",
    ):
        expect(diagram.get_by_text(label, exact=True).first).to_be_visible()
    cells = page.locator("table.cells tbody tr")
    expect(cells).to_have_count(3)
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#simulation tbody tr").first).to_be_visible()
    expect(page.locator("#simulation")).to_contain_text("rejected end_before_start")
    shoot(page, screenshots, "rules")


def test_changes_page_receives_a_streamed_change(
    page: Page, server: UvicornServer, api: httpx.Client, screenshots: Path
) -> None:
    page.goto(f"{server.base_url}/ui/changes")
    expect(page.locator("#feed-status")).to_contain_text("Live")
    seed(api, "streamed")
    streamed = page.locator("#feed tbody tr", has_text="streamed")
    expect(streamed.first).to_be_visible(timeout=10_000)
    expect(streamed).to_have_count(3)  # the contract's creation, then one timeline change per started component
    expect(streamed.nth(1)).to_contain_text("ended (2024-03-01 → 2024-06-30)")
    streamed.first.get_by_role("link", name="streamed").click()  # a streamed row links to its contract
    page.wait_for_url(re.compile(r"/ui/contracts/streamed$"))
    page.go_back()
    expect(page.locator("#feed tbody tr", has_text="streamed")).to_have_count(3)
    shoot(page, screenshots, "changes")


def test_no_page_asks_for_another_host(
    page: Page, server: UvicornServer, api: httpx.Client, visits: Visits, screenshots: Path
) -> None:
    seed(api)
    for path, name in (
        ("/ui/contracts", "contracts"),
        ("/ui/contracts/1234", None),
        ("/ui/rules", None),
        ("/ui/changes", "changes-page"),
        ("/ui/login", None),
        ("/docs", "docs"),
        ("/redoc", "redoc"),
    ):
        page.goto(f"{server.base_url}{path}", wait_until="networkidle")
        if name:  # ReDoc's page is some 20,000 px tall: its first screen says enough
            shoot(page, screenshots, name, full_page=name != "redoc")
    assert visits.hosts == visits.own
    expect(page.locator("h1, h2").first).to_be_visible()  # ReDoc rendered from its packaged script


def test_a_key_is_asked_once_per_browser_session(
    page: Page, start_server: ServerOf, visits: Visits, screenshots: Path
) -> None:
    server = start_server(API_KEYS="browser-write:write,browser-read:read")
    visits.own.add(server.base_url.split("://", 1)[1])
    with httpx.Client(base_url=server.base_url, headers={"X-API-Key": "browser-write"}) as api:
        seed(api)
    page.goto(f"{server.base_url}/ui/contracts/1234")
    expect(page.get_by_label("API key")).to_be_focused()
    shoot(page, screenshots, "sign-in")
    page.keyboard.type("browser-read")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/ui/contracts/1234$"))
    expect(page.get_by_text("Signed in with a read key")).to_be_visible()
    page.get_by_role("link", name="Rules").click()
    expect(page.locator("svg.diagram g.row")).to_have_count(8)
    cookies = page.context.cookies()
    assert [(c["name"], c["httpOnly"], c["sameSite"], c["expires"]) for c in cookies] == [
        ("clr_console", True, "Strict", -1)
    ]


def test_webhooks_show_their_attempts_and_replay_with_a_write_key_and_a_confirmation(
    page: Page, start_server: ServerOf, visits: Visits, screenshots: Path
) -> None:
    receiver = Receiver().start()
    try:
        server = start_server(
            API_KEYS="browser-write:write,browser-read:read",
            WEBHOOK_ALLOW_PRIVATE_NETWORKS="true",
            WEBHOOK_RETRY_SCHEDULE="0.2,0.5",
            FEED_POLL_INTERVAL="0.1",
        )
        visits.own.add(server.base_url.split("://", 1)[1])
        with httpx.Client(base_url=server.base_url, headers={"X-API-Key": "browser-write"}, timeout=30) as api:
            created = api.post("/webhooks", json={"url": receiver.url("billing"), "description": "billing"})
            assert created.status_code == 201, created.text
            hook = created.json()["id"]
            receiver.secrets["billing"] = created.json()["secret"]
            seed(api)
            deadline = time.monotonic() + 30  # the worker starts its dispatcher process first
            while len(receiver.delivered("billing")) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(receiver.delivered("billing")) == 3
        # A read key sees the feed; the subscriptions need a write key.
        page.goto(f"{server.base_url}/ui/changes")
        page.get_by_label("API key").fill("browser-read")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/ui/changes$"))
        expect(page.get_by_text("Webhook subscriptions and their delivery attempts need a write key")).to_be_visible()
        expect(page.locator("article.hook")).to_have_count(0)
        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("API key").fill("browser-write")
        page.keyboard.press("Enter")
        page.get_by_role("link", name="Changes").click()
        article = page.locator("article.hook")
        expect(article).to_have_count(1)
        expect(article.get_by_role("heading")).to_contain_text(receiver.url("billing"))
        expect(article).to_contain_text("Status: active")
        expect(article).to_contain_text("Delivered up to seq 3")
        attempts = article.locator("table.deliveries tbody tr")
        expect(attempts).to_have_count(3)
        expect(attempts.first).to_contain_text("delivered")
        expect(attempts.first.locator("td").nth(4)).to_have_text("200")
        # Replay: a confirmation dialog first; Cancel changes nothing.
        article.get_by_role("button", name="Replay…").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_label("From seq")).to_have_value("3")
        shoot(page, screenshots, "changes-webhook-replay-dialog")
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        assert len(receiver.delivered("billing")) == 3
        article.get_by_role("button", name="Replay…").click()
        dialog.get_by_label("From seq").fill("2")
        dialog.get_by_role("button", name="Replay", exact=True).click()
        expect(page.get_by_role("status").filter(has_text=f"Webhook {hook}: redelivery from seq 2")).to_be_visible()
        deadline = time.monotonic() + 15
        while len(receiver.delivered("billing")) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        # At least once: a retried attempt may add a row, never reorder the replay.
        redelivered = [d.record["seq"] for d in receiver.delivered("billing")]
        assert redelivered[:5] == [1, 2, 3, 2, 3]
        page.reload()
        rows = page.locator("article.hook table.deliveries tbody tr")
        expect(rows.first).to_contain_text("delivered")
        assert rows.count() >= 5
        shoot(page, screenshots, "changes-webhooks")
    finally:
        receiver.stop()
