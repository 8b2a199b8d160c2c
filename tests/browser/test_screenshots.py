"""Screenshots of the chat client's main screens, on a phone and on a desktop (issue 6).

The test walks one person (Alice, in Chromium) through the screens while two others (Bruno and
Chloé) talk over plain WebSockets, and checks each screen before it is taken. The pictures go to
docs/screenshots/{phone,desktop}-{screen}.png only when `CAUSETTE_SCREENSHOTS=1` (see
chat_support.py), so an ordinary test run leaves the working tree alone:

    CAUSETTE_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshots.py

Pseudonyms and texts are fixed, and the module has a server of its own, so the pictures change only
when the client does (the clock in the message times aside).
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, expect

from tests.browser.chat_support import DESKTOP, PHONE, TIMEOUT_MS, People, Person
from tests.browser.conftest import MakeModerator, api_login
from tests.support.client import unique_cid
from tests.support.harness import Harness

pytestmark = pytest.mark.browser

expect.set_options(timeout=TIMEOUT_MS)


async def both_sizes(person: Person, screen: str, panel: str | None = None) -> None:
    """`phone-SCREEN.png` with `panel` in view, then `desktop-SCREEN.png`."""
    page = person.page
    await page.set_viewport_size(PHONE)
    if panel:
        await person.show(panel)
    await person.screenshot(f"phone-{screen}")
    await page.set_viewport_size(DESKTOP)
    await person.screenshot(f"desktop-{screen}")


async def test_screenshots_of_the_main_screens(
    chat: Harness, people: People, make_moderator: MakeModerator
) -> None:
    alice = await people.new("alice", DESKTOP)

    # Entry, filled in.
    await alice.open("/")
    await alice.fill_entry("Alice", age=31, gender="f", postal_code="69003")
    await both_sizes(alice, "entry")
    await alice.tap(alice.page.get_by_test_id("entry-submit"))
    alice.pseudonym = "Alice"
    await alice.wait_connected()

    bruno, bruno_ws = await chat.online(pseudonym="Bruno", age=35, gender="m", postal_code="13001")
    chloe, chloe_ws = await chat.online(pseudonym="Chloé", age=28, gender="x", postal_code="33000")
    room = str(await chat.theme_room(bruno))

    # The room list.
    await expect(alice.room_item(room)).to_be_visible()
    await both_sizes(alice, "rooms", "rooms")

    # A room with messages.
    await chat.join(bruno_ws, room)
    await chat.join(chloe_ws, room)
    await chat.say(bruno_ws, room, "Bonjour à toutes et à tous, quelqu’un a vu le film de dimanche ?")
    await chat.say(chloe_ws, room, "Oui ! La fin m’a beaucoup plu, même si elle est un peu rapide.")
    await alice.join_room(room)
    await alice.say("Pas encore, mais on m’en a dit du bien. Sans divulgâcher, ça vaut le détour ?")
    from_bruno = await chat.say(bruno_ws, room, "Oui, vas-y, tu ne seras pas déçue.")
    await alice.sees_once("Oui, vas-y, tu ne seras pas déçue.")
    await both_sizes(alice, "room", "conv")

    # Who is here.
    await alice.page.set_viewport_size(PHONE)
    await alice.show("users")
    await expect(alice.user_item("Chloé")).to_be_visible()
    await both_sizes(alice, "users", "users")

    # A private conversation (Bruno asked, Alice accepted) and a pending request from Chloé.
    cid = unique_cid()
    await bruno_ws.send(
        t="pm_request",
        to=alice_id(await chat.users(bruno)),
        text="Salut Alice, on continue en privé ?",
        cid=cid,
    )
    await bruno_ws.expect("ack", cid=cid)
    await alice.page.set_viewport_size(PHONE)
    await alice.show("requests")
    await alice.tap(alice.page.get_by_test_id("pm-requests").get_by_test_id("pm-accept"))
    pm = (await bruno_ws.expect("pm_open"))["conv"]
    await alice.say("Avec plaisir !")
    await chat.say(bruno_ws, pm, "Tu connais d’autres films du même réalisateur ?")
    cid = unique_cid()
    await chloe_ws.send(
        t="pm_request", to=alice_id(await chat.users(chloe)), text="Coucou, tu es de Lyon aussi ?", cid=cid
    )
    await chloe_ws.expect("ack", cid=cid)
    await alice.open_conv(pm)
    await alice.sees_once("Tu connais d’autres films du même réalisateur ?")
    await alice.page.set_viewport_size(PHONE)
    await alice.show("conv")
    await alice.screenshot("phone-private")
    await alice.show("requests")
    await expect(alice.page.get_by_test_id("pm-requests")).to_contain_text("Coucou, tu es de Lyon aussi ?")
    await alice.screenshot("phone-requests")
    await alice.page.set_viewport_size(DESKTOP)
    await alice.screenshot("desktop-private")

    # The report dialog, on Bruno's room message.
    await alice.open_conv(room)
    message = alice.page.get_by_test_id("message-list").locator(
        f'[data-testid="message"][data-seq="{from_bruno["seq"]}"]'
    )
    await alice.tap(message.get_by_test_id("report"))
    dialog = alice.page.get_by_test_id("report-dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_test_id("report-category").select_option("spam")
    await dialog.get_by_test_id("report-text").fill("Il répète la même publicité dans plusieurs salons.")
    await both_sizes(alice, "report")
    await alice.tap(dialog.get_by_test_id("report-submit"))
    await expect(alice.page.get_by_test_id("notice")).to_contain_text("Signalement reçu")

    # A statement of reasons: Bruno reports Alice's message, a moderator times her out.
    said = await alice_message_seq(
        alice, "Pas encore, mais on m’en a dit du bien. Sans divulgâcher, ça vaut le détour ?"
    )
    await bruno_ws.send(t="report", target={"conv": room, "seq": said}, category="spam", text="hors sujet")
    await bruno_ws.expect("reported")
    moderator = make_moderator("captures")
    mod = await api_login(chat.http, moderator)
    queue = await chat.http.get("/api/v1/mod/queue", headers=mod)
    case = next(c["id"] for c in queue.json() if c["target"] == f"message:{room}:{said}")
    acted = await chat.http.post(
        f"/api/v1/mod/cases/{case}/actions",
        headers=mod,
        json={
            "action": "timeout",
            "ground": "tos-3",
            "facts": "Messages hors sujet répétés dans le salon.",
            "duration_minutes": 60,
        },
    )
    assert acted.status_code == 200, acted.text
    statement = alice.page.get_by_test_id("statement").first
    await expect(statement).to_be_visible()
    await expect(statement).to_contain_text("Messages hors sujet répétés dans le salon.")
    await alice.page.set_viewport_size(PHONE)
    await bring_into_view(statement)
    await alice.screenshot("phone-statement")
    await alice.page.set_viewport_size(DESKTOP)
    await bring_into_view(statement)
    await alice.screenshot("desktop-statement")

    # The safety centre.
    response = await alice.page.goto("/securite")
    assert response is not None and response.status == 200, "the safety centre /securite is missing"
    await expect(alice.page.locator("body")).to_contain_text("3018")
    await expect(alice.page.locator("body")).to_contain_text("17")
    await both_sizes(alice, "safety")


async def bring_into_view(target: Locator) -> None:
    """Scroll to an element the client may be re-rendering (the statement panel refreshes itself)."""
    for _ in range(5):
        try:
            await target.scroll_into_view_if_needed(timeout=2_000)
            return
        except PlaywrightError:
            await asyncio.sleep(0.2)
    await target.scroll_into_view_if_needed()


def alice_id(users: list[dict[str, object]]) -> object:
    return next(u["id"] for u in users if u["pseudonym"] == "Alice")


async def alice_message_seq(alice: Person, text: str) -> int:
    seq = await alice.message(text).get_attribute("data-seq")
    assert seq is not None
    return int(seq)
