"""What each moderator action does across the running service (docs/moderation.md, "What the
actions do"), on SQLite and PostgreSQL, over real `causette serve` processes and real sockets:
deletion, bans by device and by address prefix, closed rooms, warnings, escalation and the roles,
and the moderators' own sessions (logout, idle expiry, lockout) with the audit chain behind them.

Moderators are made with the same `Accounts.add` that `causette moderator add` calls, on the
server's own database (the CLI takes seconds to start); the audit test makes them with the CLI.
Bans refuse everyone behind a device cookie or an address prefix, and a closed theme room is
closed for everyone: those tests run on a server of their own (`fresh_server`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from causette.store import Store
from tests.conftest import DedicatedServer
from tests.support.client import enter, error_code, unique_cid, upgrade_status
from tests.support.harness import Harness, benign_text
from tests.support.moderation import (
    act,
    act_response,
    add_moderator,
    appeal_and_reverse,
    audit_verify,
    case_for,
    case_view,
    cli_add_moderator,
    history_seqs,
    login,
    login_response,
    moderator,
    report,
    rest_history,
    statement_notice,
)
from tests.support.server import ServerProcess


async def test_delete_message_retracts_it_everywhere_and_a_reversal_on_appeal_restores_it(
    server: ServerProcess,
) -> None:
    async with Harness.on(server) as chat:
        http = chat.http
        alice, a = await chat.online("alice")
        bob, b = await chat.online("bob")
        carol, c = await chat.online("carol")
        room = await chat.private_room((alice, a), (bob, b), (carol, c))
        before = await chat.say(a, room, benign_text("avant"))
        cid, text = unique_cid(), benign_text("le message supprimé")
        seq = (await chat.say(a, room, text, cid=cid))["seq"]
        after = await chat.say(a, room, benign_text("après"))
        for member in (b, c):
            for said in (before["seq"], seq, after["seq"]):
                await member.expect("msg", seq=said)
        await report(b, {"conv": room, "seq": seq})
        mod1, mod2 = await moderator(http, server), await moderator(http, server)
        case = await case_for(http, mod1, f"message:{room}:{seq}")
        assert "delete_message" in (await case_view(http, mod1, case["id"]))["actions"]

        # Carol is away when the message goes; she comes back later with a resume.
        await c.close()
        done = await act(http, mod1, case["id"], "delete_message")
        decision = done["decision"]
        assert (decision["action"], decision["subject"], done["case"]["status"]) == (
            "delete_message",
            alice.id,
            "closed",
        )

        # The members still here are told to remove it; the author gets the statement of reasons.
        await b.expect("retract", conv=room, seq=seq)
        statement = await statement_notice(a, decision["id"])
        assert statement["action"] == "delete_message" and statement["ground"]["ref"] == "tos-3"
        assert statement["status"] == "in_force" and statement["automated_detection"] is False

        # It has left the history: REST, a fresh join, and a resume from before it.
        assert seq not in history_seqs(await rest_history(http, bob, room))
        assert {before["seq"], after["seq"]} <= set(history_seqs(await rest_history(http, bob, room)))
        await b.send(t="leave", room=room)
        await b.expect("left", conv=room)
        joined = await chat.join(b, room)  # a fresh join: the invitation still stands
        assert seq not in history_seqs(joined["history"])
        assert after["seq"] in history_seqs(joined["history"])
        back = await chat.connect(carol, {room: before["seq"]})
        await back.expect("msg", seq=after["seq"])
        await back.expect("resumed")
        assert not [f for f in back.inbox if f.get("t") == "msg" and f.get("seq") == seq], back.inbox

        # A retried say with the deleted message's cid is acknowledged with its seq, and stays gone.
        await a.send(t="say", conv=room, text=text, cid=cid)
        assert (await a.expect("ack", cid=cid))["seq"] == seq
        await b.expect_none("msg", seq=seq)
        assert seq not in history_seqs(await rest_history(http, bob, room))

        # Reversed on appeal by a second moderator: it comes back, in place.
        await appeal_and_reverse(http, decision["id"], statement["appeal"]["key"], mod2)
        restored = await b.expect("msg", seq=seq)
        assert restored["text"] == text and restored["conv"] == room
        await a.expect("notice", code="appeal_decided")
        seqs = history_seqs(await rest_history(http, bob, room))
        assert [s for s in seqs if s in (before["seq"], seq, after["seq"])] == [
            before["seq"],
            seq,
            after["seq"],
        ]


# --- 2. bans ----------------------------------------------------------------------------------------
async def test_a_device_ban_ends_the_session_refuses_the_device_and_is_lifted_on_appeal(
    fresh_server: ServerProcess,
) -> None:
    server = fresh_server
    # Alice's HTTP client keeps her device cookie; the others enter from other clients.
    async with Harness.on(server) as alice_side, Harness.on(server) as others:
        http = others.http
        alice, a = await alice_side.online("alice")
        _bob, b = await others.online("bob")
        await report(b, {"user": alice.id})
        mod1, mod2 = await moderator(http, server), await moderator(http, server)
        case = await case_for(http, mod1, f"user:{alice.id}")
        decision = (await act(http, mod1, case["id"], "ban", "tos-3", ban_device=True, ban_ip_prefix=False))[
            "decision"
        ]
        assert decision["ban_device"] is True and decision["ban_ip_prefix"] is None
        assert decision["until"] is None and decision["subject"] == alice.id

        # The statement of reasons first, then the socket closes with 4001.
        statement = await statement_notice(a, decision["id"])
        assert statement["action"] == "ban" and statement["permanent"] is True
        assert await a.wait_closed() == 4001
        await b.expect("notice", code="report_outcome")

        # The token is dead, at the upgrade and on REST.
        assert await upgrade_status(server.ws_url, alice.token) == 401
        assert (await alice_side.http.get("/api/v1/me", headers=alice.headers)).status_code == 401

        # The same device cannot enter again; another device (no cookie) can.
        status, body = await enter(server.base_url, client=alice_side.http)
        assert status == 403 and error_code(body) == "banned", (status, body)
        assert body["error"]["statement"] == decision["id"]
        status, body = await enter(server.base_url)
        assert status == 201, (status, body)

        # The entry page shows the ban with its appeal key, from the cookie alone.
        listed = await alice_side.http.get("/api/v1/statements")
        assert listed.status_code == 200, listed.text
        shown = [s for s in listed.json() if s["id"] == decision["id"]]
        assert len(shown) == 1 and shown[0]["action"] == "ban" and shown[0]["status"] == "in_force"
        assert shown[0]["appeal"]["key"] == statement["appeal"]["key"]

        # Reversed on appeal by another moderator: the device enters again.
        await appeal_and_reverse(http, decision["id"], shown[0]["appeal"]["key"], mod2)
        status, body = await enter(server.base_url, client=alice_side.http)
        assert status == 201, (status, body)
        # The ban on the account is lifted too: the session it ended is valid again.
        assert (await alice_side.http.get("/api/v1/me", headers=alice.headers)).status_code == 200
        assert await upgrade_status(server.ws_url, alice.token) == 101
        after = (await alice_side.http.get("/api/v1/statements")).json()
        assert next(s for s in after if s["id"] == decision["id"])["status"] == "reversed"


async def test_an_address_prefix_ban_refuses_entry_from_the_whole_prefix(fresh_server: ServerProcess) -> None:
    server = fresh_server
    async with Harness.on(server) as alice_side, Harness.on(server) as others:
        http = others.http
        alice, a = await alice_side.online("alice")
        _bob, b = await others.online("bob")
        await report(b, {"user": alice.id})
        mod = await moderator(http, server)
        case = await case_for(http, mod, f"user:{alice.id}")
        decision = (
            await act(
                http,
                mod,
                case["id"],
                "ban",
                "tos-3",
                ban_device=False,
                ban_ip_prefix=True,
                duration_minutes=60,
            )
        )["decision"]
        assert decision["ban_ip_prefix"] == "127.0.0.0/24" and decision["ban_device"] is False
        statement = await statement_notice(a, decision["id"])
        assert await a.wait_closed() == 4001

        # Everyone entering from 127.0.0.0/24 is refused, with or without a cookie.
        status, body = await enter(server.base_url)
        assert status == 403 and error_code(body) == "banned", (status, body)
        assert body["error"]["statement"] == decision["id"]
        status, body = await enter(server.base_url, client=others.http)
        assert status == 403 and error_code(body) == "banned", (status, body)
        # Sessions that entered before keep going.
        await b.roundtrip()

        # Reversed on appeal: the prefix is open again.
        await appeal_and_reverse(
            http, decision["id"], statement["appeal"]["key"], await moderator(http, server)
        )
        status, body = await enter(server.base_url)
        assert status == 201, (status, body)


# --- 3. close_room ----------------------------------------------------------------------------------
async def test_closing_a_reported_private_room_survives_a_restart_and_a_reversal_reopens_it(
    fresh_server: ServerProcess,
) -> None:
    server = fresh_server
    async with Harness.on(server) as chat:
        http = chat.http
        owner, o = await chat.online("owner")
        member, m = await chat.online("member")
        reporter, r = await chat.online("reporter")
        room = await chat.private_room((owner, o), (member, m), (reporter, r))
        said = await chat.say(o, room, benign_text("dans le salon"))
        await report(r, {"room": room}, "illegal")
        mod1, mod2 = await moderator(http, server), await moderator(http, server)
        case = await case_for(http, mod1, f"room:{room}")
        assert case["kind"] == "room" and case["subject"]["id"] == owner.id
        decision = (await act(http, mod1, case["id"], "close_room", "tos-6"))["decision"]
        assert decision["action"] == "close_room" and decision["subject"] == owner.id

        for client in (o, m, r):
            await client.expect("room_closed", conv=room)
        statement = await statement_notice(o, decision["id"])
        assert statement["action"] == "close_room"
        for who in (owner, member, reporter):
            assert await chat.room(who, room) is None
        await m.send(t="join", room=room)
        await m.expect_error("not_found")
        await m.send(t="say", conv=room, text=benign_text("encore là ?"), cid="closed-say")
        await m.expect_error("not_member", cid="closed-say")

        # Still closed after a restart.
        await chat.close_all()
        server.restart()
        for who in (owner, member):
            assert await chat.room(who, room) is None
        m2 = await chat.connect(member)
        assert room not in (m2.welcome or {}).get("rooms", [])
        await m2.send(t="join", room=room)
        await m2.expect_error("not_found")

        # Reversed on appeal: the room is back for its members, with its history. (Its owner:
        # see the next test.)
        await appeal_and_reverse(http, decision["id"], statement["appeal"]["key"], mod2)
        assert await chat.room(member, room) is not None
        joined = await chat.join(m2, room)
        assert said["seq"] in history_seqs(joined["history"])
        await o.expect_none("room_closed")


async def test_the_owner_of_a_private_room_reopened_on_appeal_gets_it_back(server: ServerProcess) -> None:
    async with Harness.on(server) as chat:
        http = chat.http
        owner, o = await chat.online("owner")
        _reporter, r = await chat.online("reporter")
        room = await chat.private_room((owner, o))
        said = await chat.say(o, room, benign_text("mon salon"))
        await report(r, {"room": room}, "other")
        mod1, mod2 = await moderator(http, server), await moderator(http, server)
        case = await case_for(http, mod1, f"room:{room}")
        decision = (await act(http, mod1, case["id"], "close_room", "tos-6"))["decision"]
        await o.expect("room_closed", conv=room)
        statement = await statement_notice(o, decision["id"])
        await appeal_and_reverse(http, decision["id"], statement["appeal"]["key"], mod2)
        await o.expect("notice", code="appeal_decided")

        listed = await chat.room(owner, room)
        assert listed is not None, "the owner no longer sees the reopened room"
        joined = await chat.join(o, room)  # today: error not_invited
        assert said["seq"] in history_seqs(joined["history"])


async def test_closing_a_theme_room_over_a_message_survives_a_restart_and_a_reversal_reopens_it(
    fresh_server: ServerProcess,
) -> None:
    server = fresh_server
    async with Harness.on(server) as chat:
        http = chat.http
        alice, a = await chat.online("alice")
        _bob, b = await chat.online("bob")
        room = await chat.theme_room(alice)
        await chat.join(a, room)
        await chat.join(b, room)
        said = await chat.say(a, room, benign_text("dans le salon thématique"))
        await b.expect("msg", seq=said["seq"])
        await report(b, {"conv": room, "seq": said["seq"]}, "hate")
        mod1, mod2 = await moderator(http, server), await moderator(http, server)
        case = await case_for(http, mod1, f"message:{room}:{said['seq']}")
        assert "close_room" in (await case_view(http, mod1, case["id"]))["actions"]
        decision = (await act(http, mod1, case["id"], "close_room", "tos-9"))["decision"]
        # A theme room has no owner: nobody's account is restricted.
        assert decision["subject"] is None

        await a.expect("room_closed", conv=room)
        await b.expect("room_closed", conv=room)
        assert await chat.room(alice, room) is None
        await b.send(t="join", room=room)
        await b.expect_error("not_found")

        await chat.close_all()
        server.restart()
        carol = await chat.user("carol")
        assert await chat.room(carol, room) is None
        c = await chat.connect(carol)
        await c.send(t="join", room=room)
        await c.expect_error("not_found")

        # Nobody received this statement (no owner): its appeal key is read from the database.
        store = Store.open(server.store_url)
        try:
            row = await store.decisions.get(decision["id"])
        finally:
            await store.engine.dispose()
        assert row is not None
        await appeal_and_reverse(http, decision["id"], row.appeal_key, mod2)
        assert await chat.room(carol, room) is not None
        joined = await chat.join(c, room)
        assert said["seq"] in history_seqs(joined["history"])


# --- 4. warn --------------------------------------------------------------------------------------
async def test_a_warning_is_a_statement_of_reasons_and_restricts_nothing(server: ServerProcess) -> None:
    async with Harness.on(server) as chat:
        http = chat.http
        alice, a = await chat.online("alice")
        bob, b = await chat.online("bob")
        room = await chat.private_room((alice, a), (bob, b))
        said = await chat.say(a, room, benign_text("limite"))
        await report(b, {"conv": room, "seq": said["seq"]})
        mod = await moderator(http, server)
        case = await case_for(http, mod, f"message:{room}:{said['seq']}")
        decision = (await act(http, mod, case["id"], "warn"))["decision"]
        assert decision["action"] == "warn" and decision["until"] is None

        statement = await statement_notice(a, decision["id"])
        assert statement["action"] == "warn" and statement["restriction"] == "Avertissement"
        assert statement["until"] is None and statement["status"] == "in_force"
        await b.expect("notice", code="report_outcome")

        # Nothing else: the message stays, the author still writes, opens rooms and requests.
        await b.expect_none("retract")
        assert said["seq"] in history_seqs(await rest_history(http, bob, room))
        again = await chat.say(a, room, benign_text("toujours là"))
        await b.expect("msg", seq=again["seq"])
        await chat.create_room(alice, "Après l'avertissement")
        carol, c = await chat.online("carol")
        await chat.open_pm((alice, a), (carol, c), benign_text("bonjour"))
        assert (await http.get("/api/v1/me", headers=alice.headers)).status_code == 200
        listed = (await http.get("/api/v1/statements", headers=alice.headers)).json()
        assert [s["id"] for s in listed] == [decision["id"]]


# --- 5. escalate and roles ---------------------------------------------------------------------------
async def test_escalation_holds_the_case_open_writes_the_package_and_roles_are_enforced(
    server: ServerProcess,
) -> None:
    async with Harness.on(server) as chat:
        http = chat.http
        alice, a = await chat.online("alice")
        bob, b = await chat.online("bob")
        room = await chat.private_room((alice, a), (bob, b))
        said = await chat.say(a, room, benign_text("inquiétant"))
        await report(b, {"conv": room, "seq": said["seq"]}, "threat")
        legal = await moderator(http, server, "legal")
        mod = await moderator(http, server, "moderator")
        admin = await moderator(http, server, "admin")
        case = await case_for(http, mod, f"message:{room}:{said['seq']}")

        # The legal role may not restrict anyone.
        refused = await act_response(http, legal, case["id"], "timeout", duration_minutes=60)
        assert refused.status_code == 403 and error_code(refused.json()) == "forbidden", refused.text

        done = await act(http, legal, case["id"], "escalate", "law-cp-222-17")
        assert done["decision"]["action"] == "escalate"
        assert done["case"]["legal_hold"] is True and done["case"]["status"] == "open"
        listed = await case_for(http, mod, f"message:{room}:{said['seq']}")
        assert listed["id"] == case["id"] and listed["legal_hold"] is True and listed["status"] == "open"
        view = await case_view(http, mod, case["id"])
        assert [d["action"] for d in view["decisions"]] == ["escalate"]
        await b.expect_none("notice")  # an escalation decides nothing for the notifier
        await a.expect_none("notice")

        # The escalation wrote its package under <data dir>/exports.
        exports = server.data_dir / "exports"
        packages = sorted(exports.glob(f"case-{case['id']}-*"))
        assert packages, f"no package for {case['id']} in {exports}"
        assert (packages[0] / "manifest.json").is_file()

        # legal exports again on demand; a moderator may not export nor read the audit log.
        exported = await http.post(f"/api/v1/mod/cases/{case['id']}/export", headers=legal)
        assert exported.status_code == 200, exported.text
        path = Path(exported.json()["path"])
        assert path.parent == exports and (path / "manifest.json").is_file()
        assert len(exported.json()["manifest_sha256"]) == 64
        for url, method in ((f"/api/v1/mod/cases/{case['id']}/export", "POST"), ("/api/v1/mod/audit", "GET")):
            resp = await http.request(method, url, headers=mod)
            assert resp.status_code == 403 and error_code(resp.json()) == "forbidden", (url, resp.text)

        # An admin reads the audit log and finds the escalation and the export.
        audit = await http.get("/api/v1/mod/audit", params={"limit": 50}, headers=admin)
        assert audit.status_code == 200, audit.text
        about = [e for e in audit.json() if e["target"] == f"case:{case['id']}"]
        actions = {e["action"] for e in about}
        assert {"case.escalate", "legal.export"} <= actions, actions
        assert all(e["action"].startswith(("case.", "legal.")) for e in about)
        escalated = next(e for e in about if e["action"] == "case.escalate")
        assert escalated["details"]["decision"] == done["decision"]["id"]
        assert escalated["actor"].startswith("moderator:")
        # Newest first.
        seqs = [e["seq"] for e in audit.json()]
        assert seqs == sorted(seqs, reverse=True)


# --- 8. moderator sessions ----------------------------------------------------------------------------
async def test_logout_ends_the_console_session(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10, trust_env=False) as http:
        name, secret = await add_moderator(server)
        mod = await login(http, name, secret)
        me = await http.get("/api/v1/mod/me", headers=mod)
        assert me.status_code == 200 and me.json()["name"] == name and me.json()["role"] == "moderator"
        out = await http.post("/api/v1/mod/logout", headers=mod)
        assert out.status_code == 204, out.text
        for method, url in (
            ("GET", "/api/v1/mod/me"),
            ("GET", "/api/v1/mod/queue"),
            ("POST", "/api/v1/mod/logout"),
        ):
            resp = await http.request(method, url, headers=mod)
            assert resp.status_code == 401 and error_code(resp.json()) == "unauthorized", (url, resp.text)
        # A new login works (with a code not used yet).
        again = await login(http, name, secret, step=1)
        assert (await http.get("/api/v1/mod/me", headers=again)).status_code == 200


async def test_an_idle_console_session_expires(dedicated_server: DedicatedServer) -> None:
    server = dedicated_server("mod-idle", env={"CAUSETTE_MOD_SESSION_IDLE_SECONDS": "1"})
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10, trust_env=False) as http:
        mod = await moderator(http, server)
        assert (await http.get("/api/v1/mod/me", headers=mod)).status_code == 200
        await asyncio.sleep(2.5)
        idle = await http.get("/api/v1/mod/me", headers=mod)
        assert idle.status_code == 401 and error_code(idle.json()) == "unauthorized", idle.text


async def test_lockout_after_five_failures_and_every_login_and_action_is_in_a_verified_audit_chain(
    fresh_server: ServerProcess,
) -> None:
    server = fresh_server
    admin_name, admin_secret = await asyncio.to_thread(cli_add_moderator, server, "admin")
    mod_name, mod_secret = await asyncio.to_thread(cli_add_moderator, server, "moderator")
    async with Harness.on(server) as chat:
        http = chat.http
        admin = await login(http, admin_name, admin_secret)
        mod = await login(http, mod_name, mod_secret)
        admin_id = (await http.get("/api/v1/mod/me", headers=admin)).json()["id"]
        mod_id = (await http.get("/api/v1/mod/me", headers=mod)).json()["id"]

        # An action.
        alice, a = await chat.online("alice")
        _bob, b = await chat.online("bob")
        await report(b, {"user": alice.id})
        case = await case_for(http, mod, f"user:{alice.id}")
        decision = (await act(http, mod, case["id"], "timeout", duration_minutes=5))["decision"]
        await statement_notice(a, decision["id"])

        # Five failures lock the account: even the right password and code are refused after.
        for _ in range(5):
            wrong = await login_response(http, mod_name, mod_secret, password="pas le bon mot de passe")
            assert wrong.status_code == 401 and error_code(wrong.json()) == "login_failed", wrong.text
        locked = await login_response(http, mod_name, mod_secret)
        assert locked.status_code == 423 and error_code(locked.json()) == "locked", locked.text
        # The session opened before the lockout is not what is locked.
        assert (await http.get("/api/v1/mod/me", headers=mod)).status_code == 200
        assert (await http.post("/api/v1/mod/logout", headers=mod)).status_code == 204

        entries = (await http.get("/api/v1/mod/audit", params={"limit": 100}, headers=admin)).json()
        seen = [(e["actor"], e["action"]) for e in reversed(entries)]
        me = f"moderator:{mod_id}"
        assert seen.count((me, "login")) == 1
        assert (f"moderator:{admin_id}", "login") in seen
        assert seen.count((me, "login.failed")) == 5
        assert (me, "login.locked") in seen and (me, "logout") in seen
        assert (me, "case.timeout") in seen
        assert ("cli", "moderator.add") in seen
        order = [action for actor, action in seen if actor == me]
        assert order == ["login", "case.timeout", *["login.failed"] * 5, "login.locked", "logout"], order
        timeout = next(e for e in entries if e["action"] == "case.timeout")
        assert timeout["target"] == f"case:{case['id']}" and timeout["details"]["decision"] == decision["id"]

    verified = await asyncio.to_thread(audit_verify, server)
    assert verified.returncode == 0, verified.stdout + verified.stderr
