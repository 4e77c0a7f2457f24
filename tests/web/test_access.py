"""Console access with API keys: a key typed once, a session cookie, CSRF on writes."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.web.auth import SESSION_COOKIE
from tests.conftest import make_contract
from tests.web.conftest import READ_KEY, WRITE_KEY


def sign_in(client: TestClient, key: str) -> None:
    answer = client.post("/ui/login", data={"key": key, "next": "/ui/contracts"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/ui/" in cookie
    assert "Max-Age" not in cookie
    assert "expires" not in cookie.lower()
    assert key not in cookie


def test_pages_ask_for_a_key_once(keyed: TestClient) -> None:
    answer = keyed.get("/ui/contracts/1234", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login?next=%2Fui%2Fcontracts%2F1234"
    refused = keyed.post("/ui/login", data={"key": "wrong"})
    assert refused.status_code == 401
    assert "<code>unauthorized</code>" in refused.text
    sign_in(keyed, READ_KEY)
    page = keyed.get("/ui/rules")
    assert page.status_code == 200
    assert "Signed in with a read key" in page.text


def test_json_twins_accept_the_api_headers(keyed: TestClient) -> None:
    assert keyed.get("/ui/rules?format=json").status_code == 401
    assert keyed.get("/ui/rules?format=json", headers={"X-API-Key": READ_KEY}).status_code == 200


def test_the_session_cookie_opens_the_console_not_the_api(keyed: TestClient) -> None:
    make_contract_with_key(keyed)
    sign_in(keyed, WRITE_KEY)
    assert keyed.get("/ui/contracts/1234").status_code == 200
    assert keyed.get("/1234/contract_timeline").status_code == 401


def test_a_forged_or_stale_cookie_is_refused(keyed: TestClient) -> None:
    keyed.cookies.set(SESSION_COOKIE, "write.1700000000.00.00", path="/ui/")
    assert keyed.get("/ui/rules", follow_redirects=False).status_code == 303


def test_writes_need_a_write_key_and_the_form_token(keyed: TestClient) -> None:
    make_contract_with_key(keyed)
    sign_in(keyed, READ_KEY)
    page = keyed.get("/ui/contracts/1234")
    assert "Revoking an event and adding a component need a write key." in page.text
    done = keyed.post("/ui/contracts/1234/revoke", data={"event": "ev_1", "csrf": "x"})
    assert "security token" in done.text or "may only read" in done.text
    keyed.cookies.clear()
    sign_in(keyed, WRITE_KEY)
    done = keyed.post("/ui/contracts/1234/components", data={"component": "battery_optimization"})
    assert "The form&#39;s security token is missing or stale" in done.text
    token = re.search(r'name="csrf" value="([^"]+)"', keyed.get("/ui/contracts/1234").text)
    if token:  # the form exists once PATCH /contract/{number} does (issue 10)
        done = keyed.post(
            "/ui/contracts/1234/components",
            data={"component": "battery_optimization", "csrf": token[1]},
            headers={"Origin": "https://evil.example"},
        )
        assert "another site" in done.text


def make_contract_with_key(client: TestClient) -> None:
    client.headers["X-API-Key"] = WRITE_KEY
    make_contract(client)
    del client.headers["X-API-Key"]


def test_without_keys_the_console_says_the_service_is_open(client: TestClient) -> None:
    page = client.get("/ui/login")
    assert "no API keys configured: it is open" in page.text
    assert "Open service" in client.get("/ui/rules").text
