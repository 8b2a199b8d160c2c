"""The DSA workflow end to end over the real API (docs/moderation.md), on SQLite and PostgreSQL:
a report becomes a case with its evidence, a moderator logs in with password and TOTP and times
the author out, the author holds a statement of reasons and appeals, a second moderator reverses
the decision, and the audit chain verifies — then fails once a row is tampered with."""

from __future__ import annotations

import httpx
import pyotp
from sqlalchemy import text

from causette.store import Store
from tests.support.harness import Harness, benign_text
from tests.support.moderation import PASSWORD, audit_verify, case_for, cli_add_moderator, login
from tests.support.server import ServerProcess


async def test_report_case_timeout_statement_appeal_reversal_and_audit(fresh_server: ServerProcess) -> None:
    async with Harness.on(fresh_server) as chat:
        http = chat.http
        alice, a = await chat.online("alice")
        _bob, b = await chat.online("bob")
        room = await chat.theme_room(alice)
        await chat.join(a, room)
        await chat.join(b, room)
        before = await chat.say(a, room, benign_text("contexte"))
        reported_text = benign_text("le message signalé")
        said = await chat.say(a, room, reported_text)
        await b.expect("msg", seq=said["seq"])

        # A user reports a message.
        await b.send(
            t="report", target={"conv": room, "seq": said["seq"]}, category="harassment", text="il insiste"
        )
        receipt = await b.expect("reported")

        # Moderators log in with password and TOTP; a wrong code is refused.
        first_name, first = cli_add_moderator(fresh_server, prefix="premiere")
        second_name, second = cli_add_moderator(fresh_server, prefix="second")
        wrong = await http.post(
            "/api/v1/mod/login", json={"name": first_name, "password": PASSWORD, "code": "1"}
        )
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "login_failed"
        assert (await http.get("/api/v1/mod/queue")).status_code == 401
        mod1 = await login(http, first_name, first)

        # The case appears with its evidence.
        case = await case_for(http, mod1, f"message:{room}:{said['seq']}")
        assert case["category"] == "harassment" and case["subject"]["id"] == alice.id
        view = (await http.get(f"/api/v1/mod/cases/{case['id']}", headers=mod1)).json()
        items = view["case"]["evidence"]["items"]
        target = [i for i in items if i["kind"] == "target_message"]
        assert len(target) == 1 and target[0]["data"]["text"] == reported_text
        assert any(i["kind"] == "context_message" and i["data"]["seq"] == before["seq"] for i in items)
        assert all(len(i["sha256"]) == 64 for i in items)
        assert len(view["case"]["evidence_sha256"]) == 64
        assert [r["id"] for r in view["reports"]] == [receipt["id"]]
        assert "timeout" in view["actions"]

        # Every action needs a ground.
        act = f"/api/v1/mod/cases/{case['id']}/actions"
        no_ground = await http.post(act, headers=mod1, json={"action": "timeout", "duration_minutes": 60})
        assert no_ground.json()["error"]["code"] == "ground_required"

        # The moderator times the author out.
        done = await http.post(
            act,
            headers=mod1,
            json={
                "action": "timeout",
                "ground": "tos-3",
                "facts": "Insultes répétées.",
                "duration_minutes": 60,
            },
        )
        assert done.status_code == 200, done.text
        decision = done.json()["decision"]
        assert (
            decision["action"] == "timeout"
            and decision["until"]
            and done.json()["case"]["status"] == "closed"
        )

        # The author holds a statement of reasons and their next message is refused.
        notice = await a.expect("notice", code="statement_of_reasons")
        statement = notice["statement"]
        assert statement["id"] == decision["id"] and statement["ground"]["ref"] == "tos-3"
        assert statement["facts"] == "Insultes répétées." and statement["automated_detection"] is False
        assert statement["until"] == decision["until"] and statement["appeal"]["key"]
        await a.send(t="say", conv=room, text=benign_text("encore"), cid="after-timeout")
        refused = await a.expect_error("timed_out")
        assert refused["until"] == decision["until"] and refused["cid"] == "after-timeout"
        outcome = await b.expect("notice", code="report_outcome")
        assert outcome["report"] == receipt["id"]
        listed = await http.get("/api/v1/statements", headers=alice.headers)
        assert [s["id"] for s in listed.json()] == [decision["id"]]

        # The author appeals, once.
        appeal_body = {"statement": decision["id"], "key": statement["appeal"]["key"], "text": "Je conteste."}
        bad_key = await http.post("/api/v1/appeals", json={**appeal_body, "key": "x"})
        assert bad_key.status_code == 404
        filed = await http.post("/api/v1/appeals", json=appeal_body)
        assert filed.status_code == 201, filed.text
        again = await http.post("/api/v1/appeals", json=appeal_body)
        assert again.status_code == 409 and again.json()["error"]["code"] == "appeal_exists"

        # The moderator who acted cannot decide the appeal; a second one reverses it.
        appeals = (await http.get("/api/v1/mod/appeals", headers=mod1)).json()
        mine = next(x for x in appeals if x["id"] == filed.json()["id"])
        assert mine["own"] is True
        own = await http.post(f"/api/v1/mod/appeals/{mine['id']}", headers=mod1, json={"outcome": "reverse"})
        assert own.status_code == 409 and own.json()["error"]["code"] == "same_moderator"
        mod2 = await login(http, second_name, second)
        reversed_ = await http.post(
            f"/api/v1/mod/appeals/{mine['id']}", headers=mod2, json={"outcome": "reverse", "reply": "Erreur."}
        )
        assert reversed_.status_code == 200, reversed_.text
        assert reversed_.json()["decision"]["status"] == "reversed"
        decided = await a.expect("notice", code="appeal_decided")
        assert (
            decided["statement"]["status"] == "reversed"
            and decided["statement"]["appeal"]["state"] == "reversed"
        )
        await chat.say(a, room, benign_text("de nouveau libre"))

        # The audit chain verifies, then fails after a tampered row.
        verified = audit_verify(fresh_server)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        store = Store.open(fresh_server.store_url)
        try:
            async with store.engine.begin() as conn:
                seq = (
                    await conn.execute(text("SELECT seq FROM audit_log WHERE action = 'case.timeout'"))
                ).scalar_one()
                await conn.execute(
                    text("UPDATE audit_log SET details = '{\"until\": 0}' WHERE seq = :seq"), {"seq": seq}
                )
        finally:
            await store.engine.dispose()
        broken = audit_verify(fresh_server)
        assert broken.returncode != 0
        assert str(seq) in broken.stdout + broken.stderr


async def test_the_moderation_api_is_in_the_openapi_schema(fresh_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=fresh_server.base_url, trust_env=False) as http:
        paths = (await http.get("/api/v1/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/reports",
        "/api/v1/reports/{receipt}",
        "/api/v1/report-categories",
        "/api/v1/statements",
        "/api/v1/appeals",
        "/api/v1/mod/login",
        "/api/v1/mod/queue",
        "/api/v1/mod/cases/{case_id}",
        "/api/v1/mod/cases/{case_id}/actions",
        "/api/v1/mod/appeals",
        "/api/v1/mod/appeals/{appeal_id}",
        "/api/v1/mod/cases/{case_id}/export",
        "/api/v1/mod/audit",
    ):
        assert path in paths, path


async def test_a_held_message_found_harmless_is_released_to_the_room(fresh_server: ServerProcess) -> None:
    """An automated flag opens a case marked automated; dismissing a held message delivers it."""
    async with Harness.on(fresh_server) as chat:
        http = chat.http
        alice, a = await chat.online("alice")
        _bob, b = await chat.online("bob")
        room = await chat.theme_room(alice)
        await chat.join(a, room)
        await chat.join(b, room)
        # Synthetic: flagged by the drug lexicon, say it was a joke between friends.
        held_text = "plan c0ke dispo 24/7, livraison rapide"
        await a.send(t="say", conv=room, text=held_text, cid="held-1")
        assert (await a.expect("error", cid="held-1"))["code"] == "held_for_review"
        await b.expect_none("msg")

        mod = await login(http, *cli_add_moderator(fresh_server, prefix="moderatrice"))
        queue = (await http.get("/api/v1/mod/queue", headers=mod)).json()
        case = next(c for c in queue if c["target"].startswith("flag:"))
        assert case["origin"] == "automated" and case["summary"] == held_text
        assert case["subject"]["id"] == alice.id
        done = await http.post(
            f"/api/v1/mod/cases/{case['id']}/actions",
            headers=mod,
            json={"action": "dismiss", "ground": "tos-6", "facts": "Plaisanterie sans offre réelle."},
        )
        assert done.status_code == 200, done.text
        delivered = await b.expect("msg", text=held_text)
        assert delivered["from"]["id"] == alice.id
        notice = await a.expect("notice", code="message_released")
        assert notice["cid"] == "held-1"
        # Released once: a second dismissal of the (closed) case delivers nothing more.
        await http.post(
            f"/api/v1/mod/cases/{case['id']}/actions",
            headers=mod,
            json={"action": "dismiss", "ground": "tos-6"},
        )
        await b.expect_none("msg", text=held_text)


async def test_a_totp_code_logs_in_once(fresh_server: ServerProcess) -> None:
    """RFC 6238, 5.2: a code accepted once is not accepted again (no replay)."""
    name, secret = cli_add_moderator(fresh_server, prefix="unique")
    async with httpx.AsyncClient(base_url=fresh_server.base_url, trust_env=False) as http:
        code = pyotp.TOTP(secret).now()
        body = {"name": name, "password": PASSWORD, "code": code}
        assert (await http.post("/api/v1/mod/login", json=body)).status_code == 200
        replay = await http.post("/api/v1/mod/login", json=body)
        assert replay.status_code == 401 and replay.json()["error"]["code"] == "login_failed"


async def test_an_automated_flag_the_policy_escalates_is_under_legal_hold_from_the_start(
    server: ServerProcess,
) -> None:
    from causette.domain.ids import new_id
    from causette.moderation.cases import Cases
    from causette.store.safety_events import SafetyEvent

    store = Store.open(server.store_url)
    try:
        cases = Cases(store)
        made = []
        for escalate in (True, False):
            event = SafetyEvent(
                id=new_id("e"),
                at=0,
                user_id="u-synthetic",
                channel="pm",
                conv_id=None,
                seq=None,
                recipient_id=None,
                cid=new_id("cid"),
                text="texte synthétique",
                action="hold",
                labels=["threat"],
                severities={},
                reasons=[],
                evidence=[],
                open_case=True,
                escalate=escalate,
                status="open",
            )
            made.append(await cases.on_flag(await store.safety.record(event)))
        held, not_held = [await store.cases.get(c.id) for c in made]
        assert held is not None and held.legal_hold and held.origin == "automated"
        assert not_held is not None and not not_held.legal_hold
    finally:
        await store.engine.dispose()


async def test_a_client_back_from_offline_learns_of_deletions_it_may_still_show(
    fresh_server: ServerProcess,
) -> None:
    async with Harness.on(fresh_server) as chat:
        http = chat.http
        alice, a = await chat.online("alice")
        bob, b = await chat.online("bob")
        room = await chat.theme_room(alice)
        await chat.join(a, room)
        await chat.join(b, room)
        said = await chat.say(a, room, benign_text("bientôt supprimé"))
        last = await chat.say(a, room, benign_text("le dernier"))
        await b.expect("msg", seq=last["seq"])
        await b.close()  # Bob goes offline having seen both messages

        await a.send(t="report", target={"conv": room, "seq": said["seq"]}, category="spam", text="")
        await a.expect("reported")
        mod = await login(http, *cli_add_moderator(fresh_server, prefix="moderateur"))
        case = await case_for(http, mod, f"message:{room}:{said['seq']}")
        done = await http.post(
            f"/api/v1/mod/cases/{case['id']}/actions",
            headers=mod,
            json={"action": "delete_message", "ground": "tos-10"},
        )
        assert done.status_code == 200, done.text

        back = await chat.connect(bob, resume={room: last["seq"]})
        gone = await back.expect("retract", conv=room)
        assert gone["seq"] == said["seq"]
        await back.expect("resumed")
