"""Notices from anyone (DSA art. 16), trusted flaggers first (art. 22) and notifiers of manifestly
unfounded notices warned, then last (art. 23): `POST /api/v1/reports`, its receipts, the chat
`report` frame and the queue order, on SQLite and PostgreSQL over a real `causette serve`.

Notices sent without a device cookie are counted against the address prefix (127.0.0.0/24 here,
shared by every test): the art. 23 test sends its notices with a cookie of its own, on a server
of its own.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import httpx
import pytest

from tests.conftest import DedicatedServer
from tests.support.harness import Entrant, Harness, benign_text
from tests.support.moderation import act, case_for, case_view, moderator, queue, report
from tests.support.server import ServerProcess

# The trusted flagger of the "queue" server: its key, and the setting that names its SHA-256.
TRUSTED_KEY = "cle-de-l-association-" + secrets.token_hex(16)
QUEUE_SERVER_ENV: dict[str, str | None] = {
    "CAUSETTE_TRUSTED_FLAGGERS": f"asso:{hashlib.sha256(TRUSTED_KEY.encode()).hexdigest()}"
}
DEVICE_COOKIE = "causette_device"


def notice(target: dict[str, Any], category: str = "harassment", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "target": target,
        "category": category,
        "explanation": "Ce compte envoie des insultes à plusieurs personnes.",
        "good_faith": True,
    }
    body.update(fields)
    return body


async def send_notice(
    http: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    resp = await http.post("/api/v1/reports", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def receipt(http: httpx.AsyncClient, sent: dict[str, Any]) -> dict[str, Any]:
    resp = await http.get(f"/api/v1/reports/{sent['receipt']}", params={"key": sent["key"]})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def anonymous(server: ServerProcess, cookies: dict[str, str] | None = None) -> httpx.AsyncClient:
    """A client without a chat session (and without a device cookie unless given)."""
    return httpx.AsyncClient(base_url=server.base_url, timeout=10, trust_env=False, cookies=cookies)


def index_of(cases: list[dict[str, Any]], case_id: str) -> int:
    return next(i for i, c in enumerate(cases) if c["id"] == case_id)


# --- the public form --------------------------------------------------------------------------------
async def test_a_notice_without_a_session_gets_a_receipt_that_follows_the_outcome(
    server: ServerProcess, chat: Harness
) -> None:
    alice = await chat.user("alice")
    async with anonymous(server) as public:
        sent = await send_notice(public, notice({"user": alice.id}))
        assert str(sent["receipt"]).startswith("r") and sent["key"] and sent["status"] == "received"
        assert isinstance(sent["received_at"], int)

        followed = await receipt(public, sent)
        assert followed == {
            "receipt": sent["receipt"],
            "status": "received",
            "category": "harassment",
            "received_at": sent["received_at"],
            "outcome": None,
            "warning": None,
        }
        wrong = await public.get(f"/api/v1/reports/{sent['receipt']}", params={"key": "pas-la-cle"})
        assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found"
        unknown = await public.get("/api/v1/reports/r-inconnu", params={"key": sent["key"]})
        assert unknown.status_code == 404

        mod = await moderator(chat.http, server)
        case = await case_for(chat.http, mod, f"user:{alice.id}")
        view = await case_view(chat.http, mod, case["id"])
        assert [(r["source"], r["contact"], r["trusted"]) for r in view["reports"]] == [
            ("form", False, False)
        ]
        await act(chat.http, mod, case["id"], "dismiss", "tos-3")

        decided = await receipt(public, sent)
        assert decided["status"] == "decided" and decided["warning"] is None
        outcome = decided["outcome"]
        assert outcome["action"] == "dismiss" and outcome["text"] and isinstance(outcome["decided_at"], int)


async def test_duplicate_notices_join_one_case_and_the_contact_is_optional(
    server: ServerProcess, chat: Harness
) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    room = await chat.private_room((alice, a), (bob, b))
    said = await chat.say(a, room, benign_text("signalé deux fois"))
    target = {"conv": room, "seq": said["seq"]}
    async with anonymous(server) as public:
        first = await send_notice(public, notice(target, contact="temoin@example.org"))
        second = await send_notice(public, notice(target, "threat"))
    assert first["receipt"] != second["receipt"]
    mod = await moderator(chat.http, server)
    case = await case_for(chat.http, mod, f"message:{room}:{said['seq']}")
    # One case; the more urgent category sets its severity.
    assert case["reports"] == 2 and case["severity"] == 1 and case["subject"]["id"] == alice.id
    view = await case_view(chat.http, mod, case["id"])
    reports = {r["id"]: r for r in view["reports"]}
    assert set(reports) == {first["receipt"], second["receipt"]}
    assert reports[first["receipt"]]["contact"] is True and reports[second["receipt"]]["contact"] is False
    assert {r["source"] for r in reports.values()} == {"form"}


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"good_faith": False}, 400, "good_faith_required"),
        ({"good_faith": None}, 400, None),  # absent or not true: refused either way
        ({"category": "pas-une-categorie"}, 400, "category_invalid"),
        ({"explanation": None}, 400, "bad_request"),
        ({"explanation": "   "}, 400, "bad_request"),
        ({"contact": "x" * 201}, 400, "bad_request"),
        ({"target": {"user": "u-personne"}}, 404, "not_found"),
        ({"target": {"room": "salon-inexistant"}}, 404, "not_found"),
        ({"target": {"conv": "salon-inexistant", "seq": 1}}, 404, "not_found"),
        ({"target": {}}, 400, "bad_request"),
    ],
    ids=[
        "good_faith_false",
        "good_faith_missing",
        "unknown_category",
        "explanation_missing",
        "explanation_blank",
        "contact_too_long",
        "unknown_user",
        "unknown_room",
        "unknown_message",
        "no_target",
    ],
)
async def test_a_notice_is_refused_with_a_stable_code(
    server: ServerProcess, chat: Harness, change: dict[str, Any], status: int, code: str | None
) -> None:
    alice = await chat.user("alice")
    body = notice({"user": alice.id})
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    async with anonymous(server) as public:
        resp = await public.post("/api/v1/reports", json=body)
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    else:
        assert error["code"] in ("good_faith_required", "bad_request"), error


async def test_the_report_categories_put_child_safety_first(server: ServerProcess) -> None:
    async with anonymous(server) as public:
        resp = await public.get("/api/v1/report-categories")
        config = (await public.get("/api/v1/config")).json()
    assert resp.status_code == 200
    found = resp.json()
    assert found[0]["id"] == "child_safety" and found[0]["severity"] == 0
    severities = [c["severity"] for c in found]
    assert severities == sorted(severities)
    assert len({c["id"] for c in found}) == len(found)
    assert all(c["label"]["fr"] and c["label"]["en"] for c in found)
    assert set(config["report_categories"]) == {c["id"] for c in found}


async def test_a_chat_report_with_an_unknown_category_is_refused(chat: Harness) -> None:
    alice = await chat.user("alice")
    _bob, b = await chat.online("bob")
    await b.send(t="report", target={"user": alice.id}, category="pas-une-categorie", text="")
    await b.expect_error("category_invalid")
    await b.expect_none("reported")
    assert (await report(b, {"user": alice.id}, "spam")).startswith("r")


# --- limits -------------------------------------------------------------------------------------------
async def test_the_public_form_is_rate_limited_per_address(dedicated_server: DedicatedServer) -> None:
    server = dedicated_server(
        "reports-limited", rate_limits="on", env={"CAUSETTE_PUBLIC_REPORTS_PER_HOUR": "3"}
    )
    async with Harness.on(server) as chat, anonymous(server) as public:
        alice = await chat.user("alice")
        for _ in range(3):
            await send_notice(public, notice({"user": alice.id}))
        fourth = await public.post("/api/v1/reports", json=notice({"user": alice.id}))
        assert fourth.status_code == 429, fourth.text
        assert fourth.json()["error"]["code"] == "rate_limited"


# --- trusted flaggers (art. 22) --------------------------------------------------------------------
async def test_a_trusted_flaggers_notice_comes_before_an_older_one_of_the_same_severity(
    dedicated_server: DedicatedServer,
) -> None:
    server = dedicated_server("queue", env=QUEUE_SERVER_ENV)
    async with Harness.on(server) as chat, anonymous(server) as public:
        older, trusted_target, wrong_key_target = [await chat.user(p) for p in ("old", "trust", "wrong")]
        plain = await send_notice(public, notice({"user": older.id}))
        flagged = await send_notice(
            public, notice({"user": trusted_target.id}), {"Authorization": f"Bearer {TRUSTED_KEY}"}
        )
        guessed = await send_notice(
            public, notice({"user": wrong_key_target.id}), {"Authorization": "Bearer pas-la-cle"}
        )
        mod = await moderator(chat.http, server)
        cases = await queue(chat.http, mod)
        by_report: dict[str, dict[str, Any]] = {}
        for case in cases:
            view = await case_view(chat.http, mod, case["id"])
            for r in view["reports"]:
                by_report[r["id"]] = {**case, "report": r}
        plain_case, trusted_case = by_report[plain["receipt"]], by_report[flagged["receipt"]]
        guessed_case = by_report[guessed["receipt"]]
        assert trusted_case["origin"] == "trusted" and trusted_case["report"]["trusted"] is True
        assert trusted_case["report"]["flagger"] == "asso"
        assert plain_case["origin"] == "report" and guessed_case["origin"] == "report"
        assert guessed_case["report"]["trusted"] is False
        assert plain_case["severity"] == trusted_case["severity"] == 3
        assert plain_case["created_at"] <= trusted_case["created_at"]
        assert index_of(cases, trusted_case["id"]) < index_of(cases, plain_case["id"])


# --- manifestly unfounded notices (art. 23) -------------------------------------------------------
async def test_unfounded_notices_earn_a_warning_then_deprioritise_the_notifier(
    dedicated_server: DedicatedServer,
) -> None:
    server = dedicated_server("queue", env=QUEUE_SERVER_ENV)
    async with Harness.on(server) as notifier, Harness.on(server) as others:
        http = others.http
        # The notifier's chat session and form notices share one device cookie: one notifier.
        _me, r = await notifier.online("notif")
        targets: list[Entrant] = [await others.user(f"t{i}") for i in range(6)]
        mod = await moderator(http, server)

        async def dismiss_unfounded(target: Entrant) -> None:
            case = await case_for(http, mod, f"user:{target.id}")
            done = await act(http, mod, case["id"], "dismiss", "tos-12", unfounded=True)
            assert done["case"]["status"] == "closed"

        await report(r, {"user": targets[0].id}, "spam")
        form = await send_notice(notifier.http, notice({"user": targets[1].id}, "spam"))
        await report(r, {"user": targets[2].id}, "spam")
        await dismiss_unfounded(targets[0])
        await dismiss_unfounded(targets[1])
        assert (await receipt(notifier.http, form))["warning"] is None
        await r.expect_none("notice", code="reports_warning")

        # The third manifestly unfounded notice: a warning, in the chat and on the receipt.
        await dismiss_unfounded(targets[2])
        warned = await r.expect("notice", code="reports_warning")
        assert "art. 23" in warned["text"]
        shown = await receipt(notifier.http, form)
        assert shown["status"] == "decided" and shown["warning"] == warned["text"]

        # One more after the warning: the notifier's next notices come last.
        await report(r, {"user": targets[3].id}, "spam")
        await dismiss_unfounded(targets[3])
        await report(r, {"user": targets[4].id}, "spam")
        _other, o = await others.online("other")
        await report(o, {"user": targets[5].id}, "spam")

        cases = await queue(http, mod)
        last = next(c for c in cases if c["target"] == f"user:{targets[4].id}")
        newer = next(c for c in cases if c["target"] == f"user:{targets[5].id}")
        assert last["origin"] == "deprioritised" and newer["origin"] == "report"
        assert last["severity"] == newer["severity"] == 4
        assert last["created_at"] <= newer["created_at"]
        assert index_of(cases, newer["id"]) < index_of(cases, last["id"])
        # A normal notice joining the deprioritised case lifts it back to a normal place.
        await report(o, {"user": targets[4].id}, "spam")
        assert (await case_for(http, mod, f"user:{targets[4].id}"))["origin"] == "report"
        # A form notice of the same notifier is deprioritised too.
        again = await send_notice(notifier.http, notice({"user": targets[0].id}, "spam"))
        view_case = await case_for(http, mod, f"user:{targets[0].id}")
        assert view_case["origin"] == "deprioritised"
        assert again["receipt"] in [x["id"] for x in (await case_view(http, mod, view_case["id"]))["reports"]]
