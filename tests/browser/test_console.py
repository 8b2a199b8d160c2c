"""The moderation console, the chat client's statements of reasons and the public notice form,
driven in Chromium against a real server (docs/moderation.md).

The main scenario is the whole DSA loop seen from the browser: a report over the WebSocket, a
moderator who logs in with password and TOTP, reads the evidence and times the author out from
the keyboard, the author who gets the statement of reasons and appeals from the chat client, and
a second moderator who reverses the decision from the appeals view.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import TIMEOUT_MS, MakeModerator, ModeratorAccount, NewPage, api_login
from tests.support.client import ChatClient, unique_cid, unique_pseudonym
from tests.support.harness import Entrant, Harness, benign_text

pytestmark = pytest.mark.browser

expect.set_options(timeout=TIMEOUT_MS)


# -- steps --------------------------------------------------------------------------------------------
async def console_login(page: Page, account: ModeratorAccount) -> None:
    await page.goto("/mod/")
    await page.get_by_test_id("login-name").fill(account.name)
    await page.get_by_test_id("login-password").fill(account.password)
    await page.get_by_test_id("login-code").fill(account.code())
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("mod-who")).to_contain_text(account.name)
    await expect(page.get_by_test_id("queue")).to_be_visible()


async def open_chat(page: Page) -> None:
    """The chat client of a session put in place by `new_page(chat_session=…)`."""
    await page.goto("/")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")


async def reported_message(chat: Harness) -> tuple[Entrant, ChatClient, ChatClient, Any, dict[str, Any], str]:
    """An author and a witness in a private room; the witness reports the author's message."""
    author, author_ws = await chat.online("auteur")
    witness, witness_ws = await chat.online("temoin")
    room = await chat.private_room((author, author_ws), (witness, witness_ws))
    for i in range(3):
        await chat.say(author_ws, room, benign_text(f"contexte {i}"))
    text = benign_text("le message signalé")
    said = await chat.say(author_ws, room, text)
    await chat.say(witness_ws, room, benign_text("la réponse"))
    await witness_ws.send(
        t="report", target={"conv": room, "seq": said["seq"]}, category="harassment", text="il insiste"
    )
    await witness_ws.expect("reported")
    return author, author_ws, witness_ws, room, said, text


async def case_id_of(http: httpx.AsyncClient, mod: dict[str, str], target: str) -> str:
    resp = await http.get("/api/v1/mod/queue", headers=mod)
    assert resp.status_code == 200, resp.text
    found = [c["id"] for c in resp.json() if c["target"] == target]
    assert len(found) == 1, resp.json()
    return str(found[0])


# -- the whole loop -----------------------------------------------------------------------------------
async def test_a_moderator_times_out_from_the_keyboard_and_another_reverses_on_appeal(
    chat: Harness, new_page: NewPage, make_moderator: MakeModerator
) -> None:
    author, author_ws, witness_ws, room, said, text = await reported_message(chat)
    first, second = make_moderator("premier"), make_moderator("seconde")

    # The author also has the chat client open in a browser tab of the same session.
    author_page = await new_page(chat_session=author)
    await open_chat(author_page)

    # The first moderator logs in with password and TOTP and finds the case in the queue.
    console = await new_page()
    await console_login(console, first)
    item = console.get_by_test_id("queue-item").filter(has_text=text)
    await expect(item).to_have_count(1)
    await item.click()

    # The evidence: the reported message highlighted among its neighbours, hashed and verified.
    case = console.get_by_test_id("case")
    target = case.locator('[data-testid="evidence-message"][aria-current="true"]')
    await expect(target).to_have_count(1)
    await expect(target).to_contain_text(text)
    await expect(target).to_have_attribute("data-seq", str(said["seq"]))
    messages = case.get_by_test_id("evidence-message")
    assert await messages.count() >= 5  # three before, the target, the reply after
    await expect(case.get_by_test_id("evidence-snapshot-hash")).to_contain_text(re.compile(r"[0-9a-f]{64}"))
    await expect(case.get_by_test_id("evidence-snapshot-hash-check")).to_have_attribute("data-ok", "true")
    await expect(target.get_by_test_id("evidence-hash-check")).to_have_attribute("data-ok", "true")
    await expect(case.get_by_test_id("evidence-profile").filter(has_text=author.pseudonym)).to_have_count(1)
    await expect(case.get_by_test_id("report")).to_contain_text("il insiste")

    # No action before a ground is chosen.
    timeout_button = case.get_by_test_id("action-timeout")
    await expect(timeout_button).to_be_disabled()

    # Keyboard only: g picks the ground, the facts are typed, Escape leaves the field, t times out.
    await console.keyboard.press("g")
    ground = case.get_by_test_id("ground")
    await expect(ground).to_be_focused()
    for _ in range(3):
        await console.keyboard.press("ArrowDown")
    await expect(ground).to_have_value("tos-3")
    await console.keyboard.press("Tab")
    await expect(case.get_by_test_id("facts")).to_be_focused()
    await console.keyboard.type("Insultes répétées envers un autre membre du salon.")
    await expect(timeout_button).to_be_enabled()
    await console.keyboard.press("Escape")
    await console.keyboard.press("t")
    decision = case.locator('[data-testid="decision"][data-action="timeout"]')
    await expect(decision).to_be_visible()
    await expect(case.get_by_test_id("case-status")).not_to_have_text(re.compile("Ouvert"))
    await expect(console.get_by_test_id("queue-item").filter(has_text=text)).to_have_count(0)

    # Over the WebSocket: the statement of reasons, then the time-out on the next message.
    notice = await author_ws.expect("notice", timeout=5, code="statement_of_reasons")
    statement = notice["statement"]
    assert statement["action"] == "timeout" and statement["ground"]["ref"] == "tos-3"
    assert statement["facts"] == "Insultes répétées envers un autre membre du salon."
    cid = unique_cid()
    await author_ws.send(t="say", conv=room, text=benign_text("encore"), cid=cid)
    refused = await author_ws.expect_error("timed_out", cid=cid)
    assert refused["until"] == statement["until"]

    # In the author's tab: the statement panel, and the time-out with its end when they write.
    panel = author_page.locator(f'[data-testid="statement"][data-statement="{statement["id"]}"]')
    await expect(panel).to_be_visible()
    await expect(panel).to_have_attribute("data-status", "in_force")
    await expect(panel).to_contain_text("Respect des personnes")
    await expect(panel).to_contain_text("Insultes répétées envers un autre membre du salon.")
    await expect(panel).to_contain_text("une personne de l’équipe de modération a pris la décision")
    await author_page.get_by_test_id("conv-tab").first.click()
    await author_page.get_by_test_id("composer").fill("je peux encore écrire ?")
    await author_page.get_by_test_id("send").click()
    await expect(author_page.get_by_test_id("timeout-note")).to_be_visible()
    await expect(author_page.get_by_test_id("timeout-note")).to_contain_text("jusqu’au")
    await expect(author_page.locator('[data-testid="message"][data-state="failed"]')).to_contain_text(
        "suspendu jusqu’au"
    )

    # The author appeals from the panel.
    await panel.get_by_test_id("appeal-text").fill("Je ne faisais que répondre, je conteste.")
    await panel.get_by_test_id("appeal-submit").click()
    await expect(panel.get_by_test_id("appeal-state")).to_have_attribute("data-state", "open")

    # The moderator who decided sees the appeal greyed out, with the reason.
    await console.keyboard.press("a")
    mine = console.locator(f'[data-testid="appeal"][data-decision="{statement["id"]}"]')
    await expect(mine).to_be_visible()
    await expect(mine).to_have_attribute("data-own", "true")
    await expect(mine.get_by_test_id("appeal-reverse")).to_be_disabled()
    await expect(mine.get_by_test_id("appeal-own-reason")).to_be_visible()

    # A second moderator, in a browser of their own, reverses the decision.
    other = await new_page()
    await console_login(other, second)
    await other.get_by_test_id("nav-appeals").click()
    theirs = other.locator(f'[data-testid="appeal"][data-decision="{statement["id"]}"]')
    await expect(theirs).to_contain_text("Je ne faisais que répondre, je conteste.")
    await expect(theirs).to_have_attribute("data-own", "false")
    await theirs.get_by_test_id("appeal-reply").fill("Après relecture, la suspension n’était pas justifiée.")
    await theirs.get_by_test_id("appeal-reverse").click()
    await expect(theirs).to_have_count(0)

    # The author is told, and can talk again.
    decided = await author_ws.expect("notice", timeout=5, code="appeal_decided")
    assert decided["statement"]["status"] == "reversed"
    await expect(panel.get_by_test_id("appeal-state")).to_have_attribute("data-state", "reversed")
    await expect(author_page.get_by_test_id("timeout-note")).to_be_hidden()
    await chat.say(author_ws, room, benign_text("de nouveau libre"))
    await witness_ws.expect("notice", timeout=5, code="report_outcome")


# -- the chat client: a ban, its statement on the entry page, and the appeal ------------------------------
async def test_a_banned_device_sees_the_statement_on_the_entry_page_and_appeals(
    chat: Harness, new_page: NewPage, make_moderator: MakeModerator
) -> None:
    witness, witness_ws = await chat.online("temoin")
    room = await chat.theme_room(witness)
    await chat.join(witness_ws, room)

    # Someone enters through the entry form (the device cookie is set) and writes in the room.
    page = await new_page()
    await page.goto("/")
    pseudonym = unique_pseudonym("banni")
    await page.get_by_test_id("entry-pseudonym").fill(pseudonym)
    await page.get_by_test_id("entry-age").fill("34")
    await page.get_by_test_id("entry-gender").select_option("m")
    await page.get_by_test_id("entry-postal-code").fill("69003")
    await page.get_by_test_id("entry-submit").click()
    await page.locator(f'[data-testid="room-item"][data-room="{room}"]').click()
    await page.get_by_test_id("composer").fill("un message qui va être signalé par quelqu’un")
    await page.get_by_test_id("send").click()
    said = await witness_ws.expect(lambda f: f.get("t") == "msg" and f["from"]["pseudonym"] == pseudonym)
    await witness_ws.send(
        t="report", target={"conv": room, "seq": said["seq"]}, category="spam", text="publicité"
    )
    await witness_ws.expect("reported")

    # A moderator bans the account and the device for a day.
    moderator = make_moderator("bannisseur")
    mod = await api_login(chat.http, moderator)
    case_id = await case_id_of(chat.http, mod, f"message:{room}:{said['seq']}")
    resp = await chat.http.post(
        f"/api/v1/mod/cases/{case_id}/actions",
        headers=mod,
        json={
            "action": "ban",
            "ground": "tos-3",
            "facts": "Publicité répétée dans les salons.",
            "duration_minutes": 24 * 60,
            "ban_device": True,
        },
    )
    assert resp.status_code == 200, resp.text
    statement_id = resp.json()["decision"]["id"]

    # The session ends; the entry page shows the statement of reasons with its appeal form.
    await expect(page.get_by_test_id("entry-submit")).to_be_visible()
    panel = page.locator(f'[data-testid="statement"][data-statement="{statement_id}"]')
    await expect(panel).to_be_visible()
    await expect(panel).to_have_attribute("data-action", "ban")
    await expect(panel).to_contain_text("Publicité répétée dans les salons.")
    await expect(panel).to_contain_text("Jusqu’au")

    # Entering again from this device is refused (403 banned); the statement stays in view.
    await page.get_by_test_id("entry-pseudonym").fill(unique_pseudonym("retour"))
    await page.get_by_test_id("entry-age").fill("34")
    await page.get_by_test_id("entry-gender").select_option("m")
    await page.get_by_test_id("entry-postal-code").fill("69003")
    await page.get_by_test_id("entry-submit").click()
    await expect(page.get_by_test_id("entry-error")).not_to_be_empty()
    await expect(page.get_by_test_id("entry-submit")).to_be_visible()
    await expect(page.get_by_test_id("message-list")).to_be_hidden()

    # A reload keeps it: GET /api/v1/statements reads the device cookie.
    await page.reload()
    await expect(panel).to_be_visible()
    await panel.get_by_test_id("appeal-submit").click()
    await expect(panel.get_by_test_id("appeal-error")).not_to_be_empty()  # an empty appeal is not sent
    await panel.get_by_test_id("appeal-text").fill("Ce n’était pas de la publicité.")
    await panel.get_by_test_id("appeal-submit").click()
    await expect(panel.get_by_test_id("appeal-state")).to_have_attribute("data-state", "open")
    appeals = await chat.http.get("/api/v1/mod/appeals", headers=mod)
    assert [a["decision"]["id"] for a in appeals.json()].count(statement_id) == 1


# -- the public notice form -----------------------------------------------------------------------------
async def test_the_public_form_gives_a_receipt_that_follows_the_outcome(
    chat: Harness, new_page: NewPage, make_moderator: MakeModerator
) -> None:
    author, author_ws = await chat.online("auteur")
    room = await chat.private_room((author, author_ws))
    said = await chat.say(author_ws, room, benign_text("vu par quelqu’un dehors"))

    page = await new_page()
    await page.goto(f"/report?conv={room}&seq={said['seq']}")
    await expect(page.get_by_test_id("report-target")).to_contain_text(f"n° {said['seq']}")
    await expect(page.locator("#rp-contact-hint")).to_contain_text("Jamais obligatoire")
    await expect(page.locator("#rp-contact-hint")).to_contain_text("abus sexuels sur enfant")
    await page.get_by_test_id("report-category").select_option("harassment")
    await page.get_by_test_id("report-explanation").fill("Des insultes envers une autre personne.")
    await page.get_by_test_id("report-submit").click()
    await expect(page.get_by_test_id("report-error")).to_contain_text("bonne foi")  # required
    await page.get_by_test_id("report-good-faith").check()
    await page.get_by_test_id("report-submit").click()

    receipt = page.get_by_test_id("receipt")
    await expect(receipt).to_be_visible()
    receipt_id = (await page.get_by_test_id("receipt-id").text_content() or "").strip()
    key = (await page.get_by_test_id("receipt-key").text_content() or "").strip()
    assert receipt_id and key

    # The follow link shows the status: received, then the outcome once a moderator decided.
    await page.get_by_test_id("receipt-follow").click()
    await expect(page.get_by_test_id("report-status-state")).to_have_text("Reçu, en attente d’examen")
    moderator = make_moderator("formulaire")
    mod = await api_login(chat.http, moderator)
    case_id = await case_id_of(chat.http, mod, f"message:{room}:{said['seq']}")
    resp = await chat.http.post(
        f"/api/v1/mod/cases/{case_id}/actions",
        headers=mod,
        json={"action": "delete_message", "ground": "tos-3", "facts": "Insulte envers un membre."},
    )
    assert resp.status_code == 200, resp.text
    await author_ws.expect("retract", timeout=5, conv=room, seq=said["seq"])
    await page.reload()
    await expect(page.get_by_test_id("report-status-state")).to_have_text("Examiné")
    await expect(page.get_by_test_id("report-outcome")).to_contain_text("Suppression du message")


# -- the chat client: a retracted message and a closed room -------------------------------------------------
async def test_the_chat_client_drops_a_retracted_message_and_a_closed_room(
    chat: Harness, new_page: NewPage, make_moderator: MakeModerator
) -> None:
    owner, owner_ws = await chat.online("hote")
    member, member_ws = await chat.online("membre")
    room = await chat.private_room((owner, owner_ws), (member, member_ws))
    kept = await chat.say(owner_ws, room, benign_text("reste là"))
    gone = await chat.say(owner_ws, room, benign_text("à retirer"))

    page = await new_page(chat_session=member)
    await open_chat(page)
    await page.locator(f'[data-testid="conv-tab"][data-conv="{room}"]').click()
    messages = page.get_by_test_id("message-list")
    await expect(messages.locator(f'[data-seq="{gone["seq"]}"]')).to_be_visible()

    # The chat client's report dialog: the published categories, the WebSocket `report` frame,
    # and a link to the public form for the same message.
    await messages.locator(f'[data-seq="{gone["seq"]}"]').get_by_test_id("report").click()
    dialog = page.get_by_test_id("report-dialog")
    await expect(dialog.locator('option[value="child_safety"]')).to_have_count(1)
    await expect(dialog.get_by_test_id("report-public-link")).to_have_attribute(
        "href", f"/report?conv={room}&seq={gone['seq']}"
    )
    await dialog.get_by_test_id("report-category").select_option("spam")
    await dialog.get_by_test_id("report-submit").click()
    await expect(page.get_by_test_id("notice")).to_contain_text("Signalement reçu")
    await member_ws.send(t="report", target={"conv": room, "seq": kept["seq"]}, category="hate", text="")
    await member_ws.expect("reported")
    moderator = make_moderator("salon")
    mod = await api_login(chat.http, moderator)

    async def act(seq: int, action: str) -> None:
        case_id = await case_id_of(chat.http, mod, f"message:{room}:{seq}")
        resp = await chat.http.post(
            f"/api/v1/mod/cases/{case_id}/actions",
            headers=mod,
            json={"action": action, "ground": "tos-3", "facts": "Contenu contraire aux règles."},
        )
        assert resp.status_code == 200, resp.text

    await act(gone["seq"], "delete_message")
    await expect(messages.locator(f'[data-seq="{gone["seq"]}"]')).to_have_count(0)
    await expect(messages.locator(f'[data-seq="{kept["seq"]}"]')).to_be_visible()

    await act(kept["seq"], "close_room")
    await expect(page.locator(f'[data-testid="conv-tab"][data-conv="{room}"]')).to_have_count(0)
    await expect(page.get_by_test_id("notice")).to_contain_text("fermé par la modération")


# -- the console's session ----------------------------------------------------------------------------------
async def test_the_console_refuses_a_wrong_code_and_returns_to_login_when_the_session_expires(
    new_page: NewPage, make_moderator: MakeModerator
) -> None:
    account = make_moderator("session")
    page = await new_page()
    await page.goto("/mod/")
    await expect(page.locator("#login-title")).to_have_text("Connexion de l’équipe de modération")
    await page.get_by_test_id("lang").click()  # French first, English on demand
    await expect(page.locator("#login-title")).to_have_text("Moderator login")
    await page.get_by_test_id("lang").click()
    await page.get_by_test_id("login-name").fill(account.name)
    await page.get_by_test_id("login-password").fill(account.password)
    wrong = "000000" if account.code() != "000000" else "111111"
    await page.get_by_test_id("login-code").fill(wrong)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("login-error")).to_contain_text("incorrect")

    await console_login(page, account)
    await page.keyboard.press("?")
    await expect(page.get_by_test_id("help")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_test_id("help")).to_be_hidden()

    # The server ends the session (here: logged out elsewhere); the next request gets a 401.
    token = await page.evaluate("JSON.parse(sessionStorage.getItem('causette.mod.session.v1')).token")
    async with httpx.AsyncClient(base_url=page.url.split("/mod/")[0], trust_env=False) as http:
        resp = await http.post("/api/v1/mod/logout", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 204, resp.text
    await page.get_by_test_id("queue-refresh").click()
    await expect(page.get_by_test_id("login-submit")).to_be_visible()
    await expect(page.get_by_test_id("login-error")).to_contain_text("expiré")
    assert await page.evaluate("sessionStorage.getItem('causette.mod.session.v1')") is None
