"""Steps of the chat client's browser tests (docs/protocol.md, issue 6 "Browser tests").

A `Person` is one browser context (its own cookies and sessionStorage) with one page of the chat
client, at a phone or a desktop viewport. Every step goes through the `data-testid` attributes the
issue fixes, so a test reads like what a person does: enter, open a room, write, tap a name.

On a phone the chat client shows one panel at a time behind a navigation bar; on a desktop every
panel is in view. `Person.show(panel)` taps the navigation only when it is on screen, so the same
steps work at both sizes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Dialog, Locator, Page, ViewportSize, expect
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from tests.support.server import ROOT, ServerProcess

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
# Playwright's own waits (locators, expect) in milliseconds, as in conftest.py.
TIMEOUT_MS = 10_000
# A control on screen should take a tap at once; past this something lies over it.
TAP_MS = 1_500
SCREENSHOTS = ROOT / "docs" / "screenshots"
# The screenshot test always walks through the screens; it writes docs/screenshots/ only with
# `CAUSETTE_SCREENSHOTS=1`, so that an ordinary test run leaves the working tree as it was.
SCREENSHOTS_ENABLED = os.environ.get("CAUSETTE_SCREENSHOTS") == "1"


@dataclass
class Person:
    """One person: a browser context with the chat client open in one page."""

    context: BrowserContext
    page: Page
    label: str
    dialogs: list[str] = field(default_factory=list)
    # Controls that were on screen but could not be tapped because another element lay over them.
    obstructions: list[str] = field(default_factory=list)
    pseudonym: str = ""

    async def tap(self, target: Locator) -> None:
        """Click a control as a person would. If something lies over it (a notice, say), that is
        recorded in `obstructions` (the `people` fixture fails the test on it), the notices are
        closed with their own button, and the tap is tried again, so the rest of the test runs."""
        await target.wait_for(state="visible")
        try:
            await target.click(timeout=TAP_MS)
            return
        except PlaywrightTimeoutError as exc:
            blocker = next(
                (line.strip() for line in str(exc).splitlines() if "intercepts pointer events" in line), None
            )
            if blocker is None:
                await target.click()  # not covered, only slow: wait the usual time
                return
            self.obstructions.append(f"{self.label}: a tap on {target} was blocked: {blocker[:300]}")
        closers = self.page.get_by_test_id("notice").locator("button:visible")
        for _ in range(20):
            if not await closers.count():
                break
            await closers.first.click()
        await target.click()

    # -- entry ----------------------------------------------------------------------------------------
    async def open(self, path: str = "/") -> None:
        await self.page.goto(path)

    async def fill_entry(
        self, pseudonym: str, age: int | str = 30, gender: str = "f", postal_code: str = "75011"
    ) -> None:
        page = self.page
        await page.get_by_test_id("entry-pseudonym").fill(pseudonym)
        await page.get_by_test_id("entry-age").fill(str(age))
        await page.get_by_test_id("entry-gender").select_option(gender)
        await page.get_by_test_id("entry-postal-code").fill(postal_code)

    async def enter(
        self, pseudonym: str, age: int = 30, gender: str = "f", postal_code: str = "75011"
    ) -> None:
        """The entry form, then the chat: the socket is open and the room list is filled."""
        await self.open("/")
        await self.fill_entry(pseudonym, age, gender, postal_code)
        await self.tap(self.page.get_by_test_id("entry-submit"))
        self.pseudonym = pseudonym
        await self.wait_connected()
        await self.show("rooms")
        await expect(self.page.get_by_test_id("room-item").first).to_be_visible()

    async def wait_connected(self) -> None:
        await expect(self.page.locator("#conn-status")).to_have_attribute("data-state", "open")

    # -- navigation -----------------------------------------------------------------------------------
    async def show(self, panel: str) -> None:
        """Bring a panel (rooms, conv, users, requests) into view; a no-op where all are shown."""
        nav = self.page.get_by_test_id(f"nav-{panel}")
        if await nav.count() and await nav.is_visible():
            await self.tap(nav)

    async def join_room(self, room_id: Any) -> None:
        await self.show("rooms")
        await self.tap(self.room_item(room_id))
        await expect(self.page.get_by_test_id("composer")).to_be_visible()

    def room_item(self, room_id: Any) -> Locator:
        return self.page.get_by_test_id("room-list").locator(
            f'[data-testid="room-item"][data-room="{room_id}"]'
        )

    def conv_tab(self, conv: Any) -> Locator:
        return self.page.locator(f'[data-testid="conv-tab"][data-conv="{conv}"]')

    async def open_conv(self, conv: Any) -> None:
        await self.show("conv")
        await self.tap(self.conv_tab(conv))
        await expect(self.conv_tab(conv)).to_have_attribute("aria-selected", "true")

    # -- messages -------------------------------------------------------------------------------------
    @property
    def messages(self) -> Locator:
        return self.page.get_by_test_id("message-list").get_by_test_id("message")

    def message(self, text: str) -> Locator:
        """The messages on screen whose text is exactly `text` (on the .msg-text paragraph)."""
        return self.messages.filter(
            has=self.page.locator(".msg-text", has_text=re.compile(f"^{re.escape(text)}$"))
        )

    async def say(self, text: str, *, enter_key: bool = False) -> None:
        composer = self.page.get_by_test_id("composer")
        await composer.fill(text)
        if enter_key:
            await composer.press("Enter")
        else:
            await self.tap(self.page.get_by_test_id("send"))
        await expect(composer).to_have_value("")

    async def sees_once(self, text: str, *, sent: bool = True) -> Locator:
        """Exactly one message with this text is shown (and, when `sent`, it is stored: it has a seq)."""
        found = self.message(text)
        await expect(found).to_have_count(1)
        if sent:
            await expect(found).to_have_attribute("data-state", "sent")
            await expect(found).to_have_attribute("data-seq", re.compile(r"^\d+$"))
        return found

    async def texts(self) -> list[str]:
        return [
            t.strip()
            for t in await self.page.get_by_test_id("message-list").locator(".msg-text").all_inner_texts()
        ]

    # -- people ---------------------------------------------------------------------------------------
    def user_item(self, pseudonym: str) -> Locator:
        return self.page.get_by_test_id("user-list").get_by_test_id("user-item").filter(has_text=pseudonym)

    # -- screenshots ----------------------------------------------------------------------------------
    async def screenshot(self, name: str) -> Path | None:
        """docs/screenshots/NAME.png of the viewport (not the whole page: what a person sees)."""
        if not SCREENSHOTS_ENABLED:
            return None
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        await self.page.screenshot(path=str(path), animations="disabled", caret="hide")
        return path


class People:
    """Browser contexts for one test; each page's script errors and CSP violations are watched."""

    def __init__(self, browser: Browser, server: ServerProcess, watch: Callable[[Page], None]) -> None:
        self.browser = browser
        self.server = server
        self.watch = watch
        self.everyone: list[Person] = []

    async def new(self, label: str, viewport: ViewportSize = DESKTOP, *, locale: str = "fr-FR") -> Person:
        context = await self.browser.new_context(
            base_url=self.server.base_url,
            viewport=viewport,
            locale=locale,
            timezone_id="Europe/Paris",
            is_mobile=viewport["width"] < 600,
            has_touch=viewport["width"] < 600,
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        self.watch(page)
        person = Person(context=context, page=page, label=label)

        async def on_dialog(dialog: Dialog) -> None:
            # Any alert/confirm/prompt is recorded (the XSS test wants none) and accepted, so that
            # a confirmation the client may ask for (block) does not stall the test.
            person.dialogs.append(f"{dialog.type}: {dialog.message}")
            await dialog.accept()

        page.on("dialog", on_dialog)
        self.everyone.append(person)
        return person

    def obstructions(self) -> list[str]:
        return [o for person in self.everyone for o in person.obstructions]

    async def close(self) -> None:
        for person in self.everyone:
            await person.context.close()
        self.everyone.clear()
