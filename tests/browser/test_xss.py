"""Hostile text renders as inert text in the chat client (issue 6, "An XSS test").

Whatever people type reaches other people's pages: messages, request previews, pseudonyms, room
names. Each payload below would run script if the client put it into the page as HTML. The test
checks, on the sender's and on the recipient's page, that:
- no dialog (alert, confirm, prompt) opens and no payload's side effect (`window.__xss`) happens;
- no element is made from the text (no <img>, <script>, <svg>, <iframe>, no `on…` attribute, no
  `javascript:` link);
- the text shown is exactly the text sent, right-to-left override included, and an override stays
  inside its own message.
A CSP violation (an inline handler the policy blocked) also fails the test (the `people` fixture).

The server refuses most characters in a pseudonym (letters, digits, space and `_ - .` only); the
entry form must say so without running anything, and the hostile names it accepts (right-to-left
letters, `x.onerror`) must show as text too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.chat_support import DESKTOP, PHONE, TIMEOUT_MS, People, Person
from tests.support.harness import Harness

pytestmark = pytest.mark.browser

expect.set_options(timeout=TIMEOUT_MS)

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    '<img src=x onerror="window.__xss=1;alert(2)">',
    "<script>window.__xss=1;alert(3)</script>",
    "<svg onload=alert(4)><circle r=9></svg>",
    '"><img src=x onerror=alert(document.domain)>',
    "javascript:alert(5)",
    '<a href="javascript:alert(6)">clique ici</a>',
    "[clique ici](javascript:alert(7))",
    '<iframe src="javascript:alert(8)"></iframe>',
    "&lt;b&gt;pas du gras&lt;/b&gt; &amp; &#60;i&#62;",
    "{{constructor.constructor('alert(9)')()}} ${alert(10)}",
    f"ma photo {RLO}gpj.exe fin",  # shows as "ma photo exe.jpg fin" if the override leaks
]
# A pseudonym the server accepts although it looks hostile: right-to-left letters and a dot.
HOSTILE_NAME = "שלום.onerror"
REFUSED_NAMES = ["<img src=x onerror=alert(11)>", f"abc{RLO}def"]
HOSTILE_ROOM = "<img src=x onerror=alert(12)>"

# Elements no chat text may become, and attributes no chat text may set.
SCAN = """(root) => {
  const scopes = [...document.querySelectorAll(root)];
  const made = [];
  for (const scope of scopes) {
    const found = scope.querySelectorAll(
      'img, script, iframe, object, embed, .msg-text *, .request-preview *');
    for (const el of found) {
      made.push(el.outerHTML.slice(0, 120));
    }
  }
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) {
      if (/^on/i.test(attr)) made.push(`${el.tagName} ${attr}`);
    }
  }
  for (const a of document.querySelectorAll('a[href], iframe[src]')) {
    const href = a.getAttribute('href') || a.getAttribute('src') || '';
    if (/^\\s*javascript:/i.test(href)) made.push(a.outerHTML.slice(0, 120));
  }
  for (const s of document.querySelectorAll('script:not([src])')) made.push('inline script');
  for (const i of document.querySelectorAll('img[src="x"], svg circle')) made.push(i.outerHTML.slice(0, 120));
  return made;
}"""
# Where people's text is shown.
TEXT_SCOPES = (
    '[data-testid="message-list"], [data-testid="pm-requests"], [data-testid="notice"],'
    ' [data-testid="invites"], [data-testid="user-list"], [data-testid="profile"]'
)


async def assert_inert(person: Person) -> None:
    page = person.page
    assert person.dialogs == [], f"{person.label}: dialogs opened: {person.dialogs}"
    assert await page.evaluate("typeof window.__xss") == "undefined", f"{person.label}: a payload ran"
    made = await page.evaluate(SCAN, TEXT_SCOPES)
    assert made == [], f"{person.label}: elements made from chat text: {made}"


async def shown_texts(person: Person) -> list[str]:
    """The exact text (textContent, not layout text) of every message of the open conversation."""
    texts: list[str] = (
        await person.page.get_by_test_id("message-list")
        .locator(".msg-text")
        .evaluate_all("(els) => els.map((e) => e.textContent)")
    )
    return texts


async def session_token(person: Person) -> str:
    raw = await person.page.evaluate("sessionStorage.getItem('causette.session.v1')")
    assert raw, "no chat session in sessionStorage"
    token: Any = json.loads(raw).get("token")
    assert isinstance(token, str)
    return token


async def test_hostile_names_and_messages_render_as_inert_text(chat: Harness, people: People) -> None:
    mallory = await people.new("mallory", DESKTOP)
    victim = await people.new("victime", PHONE)

    # Names the server refuses: the form shows the refusal, nothing runs.
    await mallory.open("/")
    for name in REFUSED_NAMES:
        await mallory.fill_entry(name, age=30, gender="x", postal_code="75011")
        await mallory.tap(mallory.page.get_by_test_id("entry-submit"))
        await expect(mallory.page.get_by_test_id("entry-error")).not_to_be_empty()
        await expect(mallory.page.get_by_test_id("entry-pseudonym")).to_have_attribute("aria-invalid", "true")
        await assert_inert(mallory)

    await mallory.enter(HOSTILE_NAME, age=30, gender="x", postal_code="75011")
    await victim.enter("Victoire", age=27, gender="f", postal_code="31000")
    probe = await chat.user("sonde")
    room = str(await chat.theme_room(probe))
    await mallory.join_room(room)
    await victim.join_room(room)

    # Every payload as a room message, typed into the composer.
    for text in PAYLOADS:
        await mallory.say(text)
        await mallory.sees_once(text)
    for text in PAYLOADS:
        await victim.sees_once(text)
    for person in (mallory, victim):
        shown = await shown_texts(person)
        for text in PAYLOADS:
            assert shown.count(text) == 1, f"{person.label}: {text!r} not shown verbatim once in {shown}"
        await assert_inert(person)

    # The author of those messages is shown by name, as text.
    author = victim.message(PAYLOADS[0]).locator(".msg-author, .msg-author-btn").first
    await expect(author).to_contain_text(HOSTILE_NAME)

    # A right-to-left override stays inside its own message: it neither reorders the author's name
    # nor the next message. Its paragraph is a block of its own, or isolates its direction.
    spoof = victim.message(PAYLOADS[-1]).locator(".msg-text")
    contained = await spoof.evaluate(
        """(el) => {
          const s = getComputedStyle(el);
          const isolated = ['isolate', 'isolate-override', 'plaintext'].includes(s.unicodeBidi);
          return s.display !== 'inline' || isolated || el.closest('bdi') !== null || el.hasAttribute('dir');
        }"""
    )
    assert contained, "a right-to-left override in a message can reorder what follows it"

    # The hostile name in the live list and on the profile card.
    await victim.show("users")
    item = victim.user_item(HOSTILE_NAME)
    await expect(item).to_have_count(1)
    await victim.tap(item)
    card = victim.page.get_by_test_id("profile")
    await expect(card).to_contain_text(HOSTILE_NAME)
    await assert_inert(victim)
    await victim.page.keyboard.press("Escape")
    await expect(card).to_be_hidden()

    # A private request whose preview is a payload.
    await mallory.show("users")
    await mallory.tap(mallory.user_item("Victoire"))
    mcard = mallory.page.get_by_test_id("profile")
    await mallory.tap(mcard.get_by_test_id("pm-request"))
    await mcard.get_by_test_id("pm-text").fill(PAYLOADS[1])
    await mallory.tap(mcard.get_by_test_id("pm-send"))
    await expect(mcard).to_be_hidden()
    await victim.show("requests")
    request = victim.page.get_by_test_id("pm-requests").locator("li").filter(has_text=HOSTILE_NAME)
    await expect(request).to_contain_text("onerror")
    assert PAYLOADS[1] in (await request.text_content() or "")
    await assert_inert(victim)

    # A private room whose name is a payload, and the invitation that names it.
    token = await session_token(mallory)
    headers = {"Authorization": f"Bearer {token}"}
    created = await chat.http.post(
        "/api/v1/rooms", json={"name": HOSTILE_ROOM, "topic": PAYLOADS[3]}, headers=headers
    )
    if created.status_code == 201:
        room_id = created.json()["id"]
        victim_id = next(u["id"] for u in await chat.users(probe) if u["pseudonym"] == "Victoire")
        invited = await chat.http.post(
            f"/api/v1/rooms/{room_id}/invites", json={"user": victim_id}, headers=headers
        )
        assert invited.status_code == 201, invited.text
        await expect(victim.page.get_by_test_id("invites")).to_contain_text(HOSTILE_ROOM)
    else:
        assert created.json()["error"]["code"] in {"name_invalid", "name_refused"}, created.text

    await victim.page.wait_for_timeout(300)  # an image's onerror fires after its load fails
    for person in (mallory, victim):
        await assert_inert(person)
