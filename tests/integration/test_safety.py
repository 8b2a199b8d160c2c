"""The safety engine on the message path, end to end: each label gets its policy's action
(src/causette/safety/policy.toml) for a message sent by a real client."""

from __future__ import annotations

import pytest

from causette.store import Store
from tests.support.client import ChatClient, unique_cid
from tests.support.harness import Entrant, Harness


async def _room_pair(chat: Harness) -> tuple[tuple[Entrant, ChatClient], tuple[Entrant, ChatClient], str]:
    a = await chat.online("sa")
    b = await chat.online("sb")
    room = await chat.private_room(a, b)
    return a, b, room


async def _refused(client: ChatClient, conv: str, text: str, code: str) -> dict[str, object]:
    cid = unique_cid()
    await client.send(t="say", conv=conv, text=text, cid=cid)
    error = await client.expect("error", cid=cid)
    assert error["code"] == code, error
    return error


@pytest.mark.parametrize(
    ("label", "text", "code"),
    [
        ("threat", "je sais où tu habites, je vais te tuer", "refused_by_policy"),
        ("hate", "les pédés sont des malades, il faut les exterminer", "refused_by_policy"),
        ("sexual_violence", "je vais mettre du ghb dans son verre, elle saura rien", "refused_by_policy"),
        ("minor_sexual", "je cherche des photos de filles de 13 ans", "refused_by_policy"),
        ("drugs", "plan c0ke dispo 24/7, livraison rapide", "held_for_review"),
        ("prostitution", "escort dispo ce soir, 150 roses l'heure", "held_for_review"),
        ("minor_self_disclosure", "slt jai 14 ans et je m'ennuie", "held_for_review"),
        (
            "spam",
            "gagnez 500€ par jour depuis chez vous, inscrivez-vous vite sur notre site",
            "held_for_review",
        ),
    ],
)
async def test_a_labelled_room_message_gets_its_policy_action_and_reaches_no_one(
    chat: Harness, label: str, text: str, code: str
) -> None:
    (_a, a_ws), (b, b_ws), room = await _room_pair(chat)
    error = await _refused(a_ws, room, text, code)
    assert str(error["message"]).strip(), "the sender is told why"
    await b_ws.expect_none("msg", conv=room)
    # The conversation goes on, and the refused message is not in anyone's history.
    ack = await chat.say(a_ws, room, "bonne soirée à tous")
    await b_ws.expect("msg", conv=room, seq=ack["seq"])
    history = (await chat.http.get(f"/api/v1/history/{room}", headers=b.headers)).json()
    assert all(m["text"] != text for m in history)


async def test_harassment_is_delivered_with_a_warning_then_held_when_repeated(chat: Harness) -> None:
    (_a, a_ws), (_b, b_ws), room = await _room_pair(chat)
    ack = await chat.say(a_ws, room, "ferme ta gueule espèce de connard")
    await b_ws.expect("msg", conv=room, seq=ack["seq"])
    notice = await a_ws.expect("notice")
    assert notice["code"] == "safety_warning"
    await _refused(a_ws, room, "t'es qu'un gros connard, ferme la", "held_for_review")


async def test_private_meeting_alone_is_delivered_with_a_notice_to_the_recipient(chat: Harness) -> None:
    a = await chat.online("ma")
    b = await chat.online("mb")
    conv = await chat.open_pm(a, b, "salut, ça va ?")
    ack = await chat.say(a[1], conv, "viens seule chez moi ce soir, donne moi ton adresse")
    await b[1].expect("msg", conv=conv, seq=ack["seq"])
    notice = await b[1].expect("notice", code="safety_meeting")
    assert "lieu public" in notice["text"]
    assert (notice["conv"], notice["seq"]) == (conv, ack["seq"])  # the message it is about


async def test_a_shared_phone_number_in_private_is_delivered_with_a_notice_to_the_recipient(
    chat: Harness,
) -> None:
    a = await chat.online("pa")
    b = await chat.online("pb")
    conv = await chat.open_pm(a, b, "coucou")
    spelled = "appelle moi au zero six douze trente quatre cinquante six soixante dix huit"
    ack = await chat.say(a[1], conv, spelled)
    await b[1].expect("msg", conv=conv, seq=ack["seq"])
    await b[1].expect("notice", code="safety_contact")


async def test_a_person_who_says_they_are_a_minor_is_shielded_from_private_messages(chat: Harness) -> None:
    adult = await chat.online("ad")
    young = await chat.online("yo", age=18)
    room = await chat.private_room(adult, young)
    await _refused(young[1], room, "jai 14 ans et je m'ennuie", "held_for_review")
    await young[1].expect("notice", code="safety_restricted")
    cid = unique_cid()
    await young[1].send(t="pm_request", to=adult[0].id, text="salut", cid=cid)
    assert (await young[1].expect("error", cid=cid))["code"] == "restricted"
    # An adult who now asks the apparent minor for secrecy and photos is held.
    cid = unique_cid()
    text = "envoie moi une photo de toi, c'est notre secret"
    await adult[1].send(t="pm_request", to=young[0].id, text=text, cid=cid)
    assert (await adult[1].expect("error", cid=cid))["code"] == "held_for_review"
    await young[1].expect_none("pm_request")


@pytest.mark.parametrize(
    "text",
    [
        "ce film est une tuerie",
        "j'ai 14 ans d'expérience dans la restauration",
        "mon fils a 12 ans et il adore le foot",
        "la neige ❄️ est tombée cette nuit en montagne",
        "je vends ma voiture, une clio de 2015",
        "il m'a dit qu'il allait me tuer, je fais quoi ?",
    ],
)
async def test_ordinary_words_that_only_look_harmful_are_delivered(chat: Harness, text: str) -> None:
    (_a, a_ws), (_b, b_ws), room = await _room_pair(chat)
    ack = await chat.say(a_ws, room, text)
    got = await b_ws.expect("msg", conv=room, seq=ack["seq"])
    assert got["text"] == text


async def test_a_hateful_pseudonym_is_refused_at_entry(chat: Harness) -> None:
    resp = await chat.http.post(
        "/api/v1/sessions", json={"pseudonym": "sale negre", "age": 30, "gender": "m", "postal_code": "75011"}
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "pseudonym_refused"


async def test_a_private_room_named_after_drug_sales_is_refused(chat: Harness) -> None:
    owner = await chat.user("ro")
    resp = await chat.http.post(
        "/api/v1/rooms", json={"name": "plan coke dispo", "topic": ""}, headers=owner.headers
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "name_refused"


async def test_a_held_message_is_kept_for_the_moderators_with_its_labels_and_reasons(chat: Harness) -> None:
    (a, a_ws), (_b, _b_ws), room = await _room_pair(chat)
    text = "plan c0ke dispo ce soir, livraison rapide"
    error = await _refused(a_ws, room, text, "held_for_review")
    server = chat.server
    store = Store.open(server.store_url)
    try:
        events = [e for e in await store.safety.recent(500) if e.user_id == a.id]
    finally:
        await store.engine.dispose()
    assert len(events) == 1, events
    event = events[0]
    assert (event.text, event.action, event.status, event.conv_id) == (text, "hold", "open", room)
    assert event.cid == error["cid"]
    assert "drugs" in event.labels
    assert event.reasons and event.evidence
    assert event.open_case
