"""Browser tests: Playwright for Python driving Debian's Chromium against a real uvicorn server.

Chromium comes from the system (``apt-get install chromium``), launched by path: Playwright's
own browser download is not used. Without a browser the tests skip, saying how to install one;
under CI (``CI=true``) a missing browser fails the run instead, so CI can never skip them.
Screenshots go to one temporary folder per run, printed at the end of the run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import RULES
from tests.e2e.conftest import database_kind, e2e_database  # noqa: F401  (fixtures)
from tests.e2e.server import UvicornServer

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_SCREENSHOTS = pytest.StashKey[Path]()


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Closed when the browser tests end: Playwright's sync API keeps an event loop running in
    this thread while it is open, and later tests call ``asyncio.run``."""
    path = chromium_path()
    if path is None:
        message = "no Chromium found: install it with `apt-get install chromium` (Debian), or set CHROMIUM_PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots(request: pytest.FixtureRequest) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="console-screenshots-"))
    request.config.stash[_SCREENSHOTS] = folder
    return folder


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    folder = config.stash.get(_SCREENSHOTS, None)
    if folder is not None:
        terminalreporter.write_sep("-", "console screenshots")
        for shot in sorted(folder.glob("*.png")):
            terminalreporter.write_line(str(shot))


ServerOf = Callable[..., UvicornServer]


@pytest.fixture
def start_server(e2e_database: str, tmp_path: Path) -> Iterator[ServerOf]:  # noqa: F811
    servers: list[UvicornServer] = []

    def start(**env: str) -> UvicornServer:
        server = UvicornServer(
            database_url=e2e_database, rules_dir=RULES, workers=1, log_path=tmp_path / "uvicorn.log", env=env
        )
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(start_server: ServerOf, visits: Visits) -> UvicornServer:
    started = start_server()
    visits.own.add(urlparse(started.base_url).netloc)
    return started


@pytest.fixture
def api(server: UvicornServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


class Visits:
    """Every host a page asked for; a test fails if one is not the service's own.

    A request that the page's own Content-Security-Policy stopped inside the browser (Playwright
    reports its failure as ``csp``) never reached the network; it is listed, not counted. The only
    one seen is the logo that ReDoc's bundle draws from cdn.redoc.ly (see app/api/docs.py)."""

    def __init__(self) -> None:
        self.own: set[str] = set()
        """The hosts of the servers this test started (``server`` adds its own)."""
        self.requested: list[str] = []
        self.blocked: set[str] = set()

    def record(self, url: str) -> None:
        if urlparse(url).scheme in ("http", "https", "ws", "wss"):
            self.requested.append(url)

    def record_failure(self, url: str, failure: str | None) -> None:
        if failure == "csp":
            self.blocked.add(url)

    @property
    def hosts(self) -> set[str]:
        return {urlparse(url).netloc for url in self.requested if url not in self.blocked}

    def foreign(self) -> set[str]:
        return self.hosts - self.own


@pytest.fixture
def visits() -> Visits:
    """No server of its own: a test that starts one with other settings (``start_server``) must
    not share its database with a default one, whose webhook dispatcher would compete for the
    subscriptions with settings of its own."""
    return Visits()


@pytest.fixture
def page(browser: Browser, visits: Visits, screenshots: Path) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.on("request", lambda request: visits.record(request.url))
    opened.on("requestfailed", lambda request: visits.record_failure(request.url, request.failure))
    yield opened
    context.close()
    if visits.blocked:
        print(f"stopped in the browser by the page's Content-Security-Policy: {sorted(visits.blocked)}")
    assert not visits.foreign(), f"pages asked for other hosts: {sorted(visits.foreign())}"


def shoot(page: Page, folder: Path, name: str, *, full_page: bool = True) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"screenshot: {path}")
    return path
