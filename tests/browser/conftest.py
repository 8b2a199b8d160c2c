"""Fixtures of the browser tests: a real `causette serve`, moderators made with the real CLI, and
the system's Chromium driven by Playwright (async API, on the suite's session event loop).

No browser is ever downloaded: the tests use /usr/bin/chromium (or CAUSETTE_TEST_CHROMIUM). When
it is missing they skip on a workstation and fail in CI (`CI=true`), where it is promised.

Every page records the script errors and Content-Security-Policy violations it meets; a test
fails if its pages met any, so a stray inline style or a broken module cannot pass unnoticed.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    ViewportSize,
    async_playwright,
)

from tests.browser.chat_support import People
from tests.support.harness import Entrant, Harness
from tests.support.server import CAUSETTE_BIN, ServerProcess, running_server

CHROMIUM = Path(os.environ.get("CAUSETTE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Desktop first for the console; the chat client is laid out side by side from 900 px.
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
# Playwright's own waits (locators, expect) in milliseconds: generous for a loaded CI machine.
TIMEOUT_MS = 10_000
MODERATOR_PASSWORD = "un mot de passe de console assez long"
# The chat client keeps its session here (static/store.js, SESSION_KEY).
CHAT_SESSION_KEY = "causette.session.v1"


@dataclass(frozen=True)
class ModeratorAccount:
    """An account made by `causette moderator add`; `code()` is its current TOTP code."""

    name: str
    role: str
    secret: str
    password: str = MODERATOR_PASSWORD

    def code(self) -> str:
        return pyotp.TOTP(self.secret).now()


@dataclass
class PageProblems:
    """Script errors and CSP violations seen by the pages of one test."""

    items: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda exc: self.items.append(f"{page.url}: uncaught {exc}"))
        page.on("console", lambda msg: self._console(page, msg))

    def _console(self, page: Page, msg: ConsoleMessage) -> None:
        text = msg.text
        if "Content Security Policy" in text or (
            msg.type == "error" and not text.startswith("Failed to load resource")
        ):
            self.items.append(f"{page.url}: console {msg.type}: {text}")


# -- the system browser -------------------------------------------------------------------------------
def _no_browser(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests need Chromium in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        _no_browser(f"{CHROMIUM} not found (set CAUSETTE_TEST_CHROMIUM)")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        try:
            launched = await pw.chromium.launch(
                executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
            )
        except Error as exc:
            _no_browser(f"{CHROMIUM} did not start: {exc}")
            raise  # unreachable: skip/fail raise
        try:
            yield launched
        finally:
            await launched.close()


# -- the server ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One SQLite server per test module; every test makes its own people and moderators."""
    with ExitStack() as stack:
        yield stack.enter_context(running_server("sqlite", tmp_path_factory.mktemp("browser")))


@pytest.fixture
async def chat(web_server: ServerProcess) -> AsyncIterator[Harness]:
    async with Harness.on(web_server) as harness:
        yield harness


def add_moderator(server: ServerProcess, prefix: str, role: str = "moderator") -> ModeratorAccount:
    """`causette moderator add NAME --role ROLE --password-stdin`; the TOTP secret comes from the
    otpauth:// URI it prints once."""
    name = f"{prefix}{secrets.token_hex(3)}"
    args = ["moderator", "add", name, "--role", role, "--password-stdin", *server.storage_args]
    done = subprocess.run(
        [str(CAUSETTE_BIN), *args],
        input=MODERATOR_PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"moderator add failed: {done.stdout}{done.stderr}"
    uri = next((line for line in done.stdout.splitlines() if line.startswith("otpauth://")), None)
    assert uri is not None, f"no otpauth:// URI in: {done.stdout}"
    return ModeratorAccount(name=name, role=role, secret=parse_qs(urlsplit(uri).query)["secret"][0])


MakeModerator = Callable[..., ModeratorAccount]


@pytest.fixture
def make_moderator(web_server: ServerProcess) -> MakeModerator:
    def make(prefix: str = "mod", role: str = "moderator") -> ModeratorAccount:
        return add_moderator(web_server, prefix, role)

    return make


async def api_login(http: httpx.AsyncClient, account: ModeratorAccount) -> dict[str, str]:
    """A console session over REST, for the steps a test does not drive through the browser."""
    resp = await http.post(
        "/api/v1/mod/login", json={"name": account.name, "password": account.password, "code": account.code()}
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


# -- pages --------------------------------------------------------------------------------------------
NewPage = Callable[..., Awaitable[Page]]


@pytest.fixture
async def new_page(browser: Browser, web_server: ServerProcess) -> AsyncIterator[NewPage]:
    """`await new_page()` opens a page in a fresh browser context (its own cookies and storage).

    `chat_session=entrant` starts that context inside an existing chat session: the session is put
    where the chat client keeps it, as after a reload, so the page shares the session (and its
    frames) with the test's WebSocket client.
    """
    contexts: list[BrowserContext] = []
    problems = PageProblems()

    async def open_page(*, chat_session: Entrant | None = None) -> Page:
        context = await browser.new_context(
            base_url=web_server.base_url, viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        if chat_session is not None:
            session: dict[str, Any] = {"token": chat_session.token, "user": chat_session.user}
            await context.add_init_script(
                f"if (!sessionStorage.getItem({json.dumps(CHAT_SESSION_KEY)}))"
                f" sessionStorage.setItem({json.dumps(CHAT_SESSION_KEY)}, {json.dumps(json.dumps(session))});"
            )
        page = await context.new_page()
        problems.watch(page)
        return page

    yield open_page
    for context in contexts:
        await context.close()
    assert not problems.items, "the pages met script errors or CSP violations:\n" + "\n".join(problems.items)


# -- people of the chat client (tests/browser/chat_support.py) ------------------------------------------
@pytest.fixture
async def people(browser: Browser, web_server: ServerProcess) -> AsyncIterator[People]:
    """`await people.new("alice", PHONE)`: a person in a browser context of their own, at a phone or a
    desktop viewport. Script errors and CSP violations on any of their pages fail the test."""
    problems = PageProblems()
    crowd = People(browser, web_server, problems.watch)
    yield crowd
    obstructions = crowd.obstructions()
    await crowd.close()
    assert not problems.items, "the pages met script errors or CSP violations:\n" + "\n".join(problems.items)
    assert not obstructions, "controls on screen could not be tapped:\n" + "\n".join(obstructions)
