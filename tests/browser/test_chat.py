"""The chat client in Chromium, as people use it (issue 6, "Browser tests"; docs/protocol.md).

Two people in two browser contexts, one on a phone and one on a desktop, go through the whole
client: the entry form, a room, private messages (a request accepted, another declined), a report,
a reload, a lost connection, and a block. A third person talks over a plain WebSocket, so the test
can check on the wire what the browser did (a declined request is refused on the next attempt).

Every step goes through the `data-testid` attributes the issue fixes. A script error or a CSP
violation on any page fails the test (the `people` fixture).
"""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.browser.chat_support import DESKTOP, PHONE, TIMEOUT_MS, People, Person
from tests.support.client import unique_cid, unique_pseudonym
from tests.support.harness import Entrant, Harness, benign_text

pytestmark = pytest.mark.browser

expect.set_options(timeout=TIMEOUT_MS)


async def two_people_in_a_room(chat: Harness, people: People) -> tuple[Person, Person, str]:
    """Alice on a phone and Bruno on a desktop enter through the form and join the same theme room."""
    alice = await people.new("alice", PHONE)
    bruno = await people.new("bruno", DESKTOP)
    await alice.enter(unique_pseudonym("alice"), age=29, gender="f", postal_code="69003")
    await bruno.enter(unique_pseudonym("bruno"), age=34, gender="m", postal_code="13001")
    probe = await chat.user("sonde")
    room = str(await chat.theme_room(probe))
    await alice.join_room(room)
    await bruno.join_room(room)
    return alice, bruno, room


# -- the whole visit --------------------------------------------------------------------------------------
async def test_two_people_talk_in_a_room_then_privately_and_nothing_is_lost(
    chat: Harness, people: People
) -> None:
    alice, bruno, room = await two_people_in_a_room(chat, people)
    # A third person, over a plain WebSocket, in the same room.
    carla, carla_ws = await chat.online("carla", gender="x", postal_code="33000")
    await chat.join(carla_ws, room)

    # -- the room: messages both ways, each shown once on both sides, own messages marked.
    hello = benign_text("salut le salon")
    await alice.say(hello, enter_key=True)  # Enter sends
    answer = benign_text("bonjour Alice")
    await bruno.say(answer)
    for person in (alice, bruno):
        await person.sees_once(hello)
        await person.sees_once(answer)
    await expect(alice.message(hello)).to_have_attribute("data-own", "true")
    await expect(bruno.message(hello)).to_have_attribute("data-own", "false")
    from_carla = benign_text("Carla passe dans le salon")
    await chat.say(carla_ws, room, from_carla)
    await alice.sees_once(from_carla)
    await bruno.sees_once(from_carla)

    # -- a private request from the user list, through the profile card, accepted on the phone.
    await bruno.show("users")
    await bruno.tap(bruno.user_item(alice.pseudonym))
    card = bruno.page.get_by_test_id("profile")
    await expect(card).to_contain_text(alice.pseudonym)
    await expect(card).to_contain_text("29")  # age
    await expect(card).to_contain_text("69")  # département, never the town
    await expect(card.get_by_test_id("block")).to_be_visible()
    await expect(card.get_by_test_id("report")).to_be_visible()
    await bruno.tap(card.get_by_test_id("pm-request"))
    request_text = benign_text("on peut parler en privé")
    await card.get_by_test_id("pm-text").fill(request_text)
    await bruno.tap(card.get_by_test_id("pm-send"))
    await expect(card).to_be_hidden()

    await alice.show("requests")
    requests = alice.page.get_by_test_id("pm-requests")
    incoming = requests.locator("li").filter(has_text=bruno.pseudonym)
    await expect(incoming).to_contain_text(request_text)  # the preview
    await alice.tap(incoming.get_by_test_id("pm-accept"))
    await expect(incoming).to_have_count(0)

    # Both sides have the conversation; the request is its first message.
    pm_tab = alice.page.get_by_test_id("conv-tab").filter(has_text=bruno.pseudonym)
    await expect(pm_tab).to_have_count(1)
    pm = await pm_tab.get_attribute("data-conv")
    assert pm and pm != room
    await alice.open_conv(pm)
    await alice.sees_once(request_text)
    await bruno.open_conv(pm)
    await bruno.sees_once(request_text)
    private_reply = benign_text("avec plaisir, en privé")
    await alice.say(private_reply)
    private_more = benign_text("super, merci")
    await bruno.say(private_more)
    for person in (alice, bruno):
        await person.sees_once(private_reply)
        await person.sees_once(private_more)

    # -- a third person's request, declined; their next attempt is refused, silently for Alice.
    carla_text = benign_text("coucou, tu veux discuter")
    cid = unique_cid()
    await carla_ws.send(
        t="pm_request", to=await user_id_of(chat, carla, alice.pseudonym), text=carla_text, cid=cid
    )
    await carla_ws.expect("ack", cid=cid)
    await alice.show("requests")
    from_carla_request = requests.locator("li").filter(has_text=carla.pseudonym)
    await expect(from_carla_request).to_contain_text(carla_text)
    await alice.tap(from_carla_request.get_by_test_id("pm-decline"))
    await expect(from_carla_request).to_have_count(0)
    again = unique_cid()
    await carla_ws.send(
        t="pm_request",
        to=await user_id_of(chat, carla, alice.pseudonym),
        text=benign_text("encore"),
        cid=again,
    )
    await carla_ws.expect_error("declined", cid=again)

    # -- a report on Bruno's room message, in two taps; the receipt comes back as a notice.
    await alice.open_conv(room)
    reported = await alice.sees_once(answer)
    await alice.tap(reported.get_by_test_id("report"))
    dialog = alice.page.get_by_test_id("report-dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_test_id("report-category").select_option("harassment")
    await dialog.get_by_test_id("report-text").fill("il insiste lourdement")
    await alice.tap(dialog.get_by_test_id("report-submit"))
    await expect(dialog).to_be_hidden()
    await expect(alice.page.get_by_test_id("notice")).to_contain_text("Signalement reçu")

    # -- a reload: the room's history and the private conversation are still there, nothing doubled.
    await alice.open_conv(room)
    room_before = await alice.texts()
    await alice.open_conv(pm)
    pm_before = await alice.texts()
    await alice.page.reload()
    await alice.wait_connected()
    await alice.open_conv(room)
    for text in (hello, answer, from_carla):
        await alice.sees_once(text)
    assert await alice.texts() == room_before
    await alice.open_conv(pm)
    for text in (request_text, private_reply, private_more):
        await alice.sees_once(text)
    assert await alice.texts() == pm_before

    # -- a block from the private conversation: Bruno's messages no longer reach Alice.
    await alice.tap(alice.page.get_by_role("tabpanel").get_by_test_id("block"))
    await expect(alice.page.get_by_test_id("notice")).to_contain_text(bruno.pseudonym)
    await expect(alice.page.get_by_test_id("composer")).to_be_disabled()
    after_block_pm = benign_text("tu es là ?")
    await bruno.open_conv(pm)
    await bruno.say(after_block_pm)
    await expect(bruno.message(after_block_pm)).to_have_attribute("data-state", "failed")
    after_block_room = benign_text("Bruno écrit dans le salon après le blocage")
    await bruno.open_conv(room)
    await bruno.say(after_block_room)
    await bruno.sees_once(after_block_room)
    sentinel = benign_text("Carla écrit après Bruno")
    await chat.say(carla_ws, room, sentinel)
    await alice.open_conv(room)
    await alice.sees_once(sentinel)  # later than Bruno's message: had it reached Alice, it would be here
    await expect(alice.message(after_block_room)).to_have_count(0)
    await alice.open_conv(pm)
    await expect(alice.message(after_block_pm)).to_have_count(0)


# -- a lost connection ---------------------------------------------------------------------------------
async def test_offline_shows_a_banner_and_what_was_missed_arrives_once_after_reconnection(
    chat: Harness, people: People
) -> None:
    alice = await people.new("alice", PHONE)
    await alice.enter(unique_pseudonym("alice"), age=41, gender="f", postal_code="59000")
    bruno, bruno_ws = await chat.online("bruno", gender="m", postal_code="35000")
    room = str(await chat.theme_room(bruno))
    await chat.join(bruno_ws, room)
    await alice.join_room(room)
    # A private conversation: Bruno asks over the WebSocket, Alice accepts on her phone.
    cid = unique_cid()
    await bruno_ws.send(
        t="pm_request",
        to=await user_id_of(chat, bruno, alice.pseudonym),
        text=benign_text("on discute"),
        cid=cid,
    )
    await bruno_ws.expect("ack", cid=cid)
    await alice.show("requests")
    await alice.tap(alice.page.get_by_test_id("pm-requests").get_by_test_id("pm-accept"))
    pm = (await bruno_ws.expect("pm_open"))["conv"]
    before = benign_text("avant la coupure")
    await chat.say(bruno_ws, pm, before)
    await alice.open_conv(pm)
    await alice.sees_once(before)

    # The phone loses its network: the banner says so.
    await alice.context.set_offline(True)
    offline = alice.page.get_by_test_id("offline")
    await expect(offline).to_be_visible()
    await expect(alice.page.locator("#conn-status")).not_to_have_attribute("data-state", "open")

    # Meanwhile Bruno writes in the room and privately, and Alice types a message.
    while_away_room = benign_text("pendant ton absence dans le salon")
    while_away_pm = [benign_text(f"pendant ton absence en privé {i}") for i in range(3)]
    await chat.say(bruno_ws, room, while_away_room)
    for text in while_away_pm:
        await chat.say(bruno_ws, pm, text)
    typed_offline = benign_text("écrit hors ligne")
    await alice.say(typed_offline)
    await expect(alice.message(typed_offline)).to_have_count(1)
    await expect(alice.message(typed_offline)).not_to_have_attribute("data-state", "sent")

    # Back online: the banner goes, everything missed arrives once, in order, and Alice's message
    # goes out once.
    await alice.context.set_offline(False)
    await expect(offline).to_be_hidden(timeout=40_000)  # a backoff may be waiting up to 30 s
    await alice.wait_connected()
    for text in [*while_away_pm, typed_offline]:
        await alice.sees_once(text)
    texts = await alice.texts()
    assert texts[-4:] == [*while_away_pm, typed_offline] or texts[-4:] == [typed_offline, *while_away_pm], (
        texts
    )
    got = await bruno_ws.expect("msg", timeout=5, conv=pm, text=typed_offline)
    await bruno_ws.expect_none("msg", timeout=1.0, conv=pm, text=typed_offline)
    assert got["from"]["pseudonym"] == alice.pseudonym
    await alice.open_conv(room)
    await alice.sees_once(while_away_room)
    await asyncio.sleep(0.5)  # a late duplicate would show up now
    await alice.sees_once(while_away_room)
    await alice.open_conv(pm)
    for text in [before, *while_away_pm, typed_offline]:
        await alice.sees_once(text)


async def user_id_of(chat: Harness, who: Entrant, pseudonym: str) -> str:
    """The id of a connected person, from the live list as `who` sees it."""
    found = [u["id"] for u in await chat.users(who) if u["pseudonym"] == pseudonym]
    assert len(found) == 1, f"{pseudonym} not in the user list"
    return str(found[0])


# -- refusals at the entry ----------------------------------------------------------------------------------
async def test_an_underage_entry_gets_help_for_young_people_not_a_retry(people: People) -> None:
    teen = await people.new("ado", PHONE)
    await teen.open("/")
    await teen.fill_entry(unique_pseudonym("ado"), age=15, gender="f", postal_code="75011")
    await teen.tap(teen.page.get_by_test_id("entry-submit"))
    error = teen.page.get_by_test_id("entry-error")
    await expect(error).to_contain_text("3018")  # the server's message
    call = teen.page.locator('a[href="tel:3018"]')
    await expect(call).to_be_visible()
    # No retry: the form is gone, there is nothing to submit with another age.
    await expect(teen.page.get_by_test_id("entry-submit")).to_be_hidden()
    await expect(teen.page.get_by_test_id("entry-age")).to_be_hidden()
    await expect(teen.page.get_by_test_id("room-list")).to_be_hidden()


async def error_next_to(person: Person, field_testid: str, text: str | re.Pattern[str]) -> None:
    """The refusal is shown next to the field it is about, and the field is marked invalid."""
    page = person.page
    field = page.get_by_test_id(field_testid)
    await expect(field).to_have_attribute("aria-invalid", "true")
    error = page.get_by_test_id("entry-error").filter(has_text=text)
    await expect(error).to_have_count(1)
    await expect(error).to_be_visible()
    field_box = await field.bounding_box()
    error_box = await error.bounding_box()
    assert field_box and error_box
    gap = error_box["y"] - (field_box["y"] + field_box["height"])
    assert -field_box["height"] <= gap <= 80, (
        f"the error for {field_testid} is {gap:.0f} px below the field, not next to it"
    )


async def test_refusals_are_shown_next_to_the_field_with_the_servers_message(
    chat: Harness, people: People
) -> None:
    person = await people.new("refus", DESKTOP)
    await person.open("/")

    # A postal code of five digits that is no French département: the server refuses it.
    await person.fill_entry(unique_pseudonym("refus"), age=30, gender="x", postal_code="99000")
    await person.tap(person.page.get_by_test_id("entry-submit"))
    await error_next_to(person, "entry-postal-code", re.compile(r"\S"))
    await expect(person.page.get_by_test_id("entry-submit")).to_be_visible()

    # A name already in use (by its confusable skeleton: Cyrillic А for Latin A).
    taken = await chat.user("Aprise")
    lookalike = "\u0410" + taken.pseudonym[1:]
    await person.fill_entry(lookalike, age=30, gender="x", postal_code="75011")
    await person.tap(person.page.get_by_test_id("entry-submit"))
    await error_next_to(person, "entry-pseudonym", re.compile(r"\S"))

    # Corrected, the same form lets the person in.
    await person.enter(unique_pseudonym("refus"), age=30, gender="x", postal_code="75011")
