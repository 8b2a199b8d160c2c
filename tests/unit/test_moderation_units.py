"""The pure parts of moderation: address prefixes of bans, case targets, the grounds and categories
data files, the trusted-flagger setting, which actions apply to which case, and statements of
reasons built from a decision. No database, no network."""

from __future__ import annotations

import hashlib
import tomllib
from importlib import resources
from typing import Any, cast

import pytest

from causette.domain.network import address_prefix
from causette.moderation.audit import AuditLog
from causette.moderation.cases import SEVERITY, Cases, severity_of, snapshot
from causette.moderation.catalog import categories, grounds
from causette.moderation.decisions import (
    APPEAL_WINDOW_MS,
    RESTRICTING,
    Enforcer,
    Moderation,
    target_parts,
)
from causette.moderation.notices import Notices, parse_trusted, reporter_key
from causette.store import Store
from causette.store.cases import CaseRow
from causette.store.database import now_ms
from causette.store.decisions import AppealRow, DecisionRow

HEX = hashlib.sha256(b"la cle de l'association").hexdigest()


# --- address prefixes (bans by address) -------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("127.0.0.1", "127.0.0.0/24"),
        ("10.1.2.255", "10.1.2.0/24"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:aa:bb::1", "2001:db8:aa:bb::/64"),
        ("::1", "::/64"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),  # IPv4-mapped: the IPv4 /24
        ("::ffff:c633:6409", "198.51.100.0/24"),
    ],
)
def test_address_prefix_is_the_ipv4_24_or_the_ipv6_64(address: str, prefix: str) -> None:
    assert address_prefix(address) == prefix


@pytest.mark.parametrize(
    "garbage",
    [None, "", "unknown", "localhost", "256.1.1.1", "1.2.3", "1.2.3.4/24", "2001:db8::zz", " 1.2.3.4x"],
)
def test_address_prefix_of_anything_else_is_none(garbage: str | None) -> None:
    assert address_prefix(garbage) is None


# --- case targets ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "parts"),
    [
        ("message:room-paris:42", ("message", "room-paris", 42)),
        ("message:pm-u1-u2:1", ("message", "pm-u1-u2", 1)),
        ("message:a:b:7", ("message", "a:b", 7)),  # the seq is after the last colon
        ("message:room-paris:x", ("message", "room-paris", None)),
        ("message:room-paris:-3", ("message", "room-paris", None)),
        ("user:u123", ("user", "u123", None)),
        ("room:room-paris", ("room", "room-paris", None)),
        ("room:r-abc", ("room", "r-abc", None)),
        ("flag:e42", ("flag", "e42", None)),
    ],
)
def test_target_parts(target: str, parts: tuple[str, str, int | None]) -> None:
    assert target_parts(target) == parts


# --- data files ----------------------------------------------------------------------------------------
def _raw(name: str) -> dict[str, Any]:
    with resources.files("causette.moderation").joinpath(name).open("rb") as fh:
        return tomllib.load(fh)


def test_grounds_load_with_unique_refs_each_tos_or_law() -> None:
    loaded = grounds()
    raw = _raw("grounds.toml")["ground"]
    refs = [str(g["ref"]) for g in raw]
    assert len(refs) == len(set(refs)) == len(loaded) > 0
    assert list(loaded) == refs
    for ref, ground in loaded.items():
        assert ground.ref == ref
        assert ground.kind in ("tos", "law"), ground
        assert ground.title.strip() and ground.text.strip(), ground
        assert ground.public() == {
            "ref": ref,
            "kind": ground.kind,
            "title": ground.title,
            "text": ground.text,
        }
    assert {g.kind for g in loaded.values()} == {"tos", "law"}
    # The grounds the code and the console cite exist.
    assert {"tos-3", "tos-12"} <= set(loaded)


def test_categories_are_sorted_by_severity_child_safety_first() -> None:
    loaded = categories()
    raw = [str(c["id"]) for c in _raw("categories.toml")["category"]]
    assert len(raw) == len(set(raw)) == len(loaded)
    ordered = sorted(loaded.values(), key=lambda c: c.severity)
    assert ordered[0].id == "child_safety" and ordered[0].severity == 0
    # The file itself lists the most urgent first.
    severities = [loaded[i].severity for i in raw]
    assert severities == sorted(severities)
    assert all(0 <= c.severity <= 4 and c.fr.strip() and c.en.strip() for c in loaded.values())
    public = loaded["child_safety"].public()
    assert public == {
        "id": "child_safety",
        "severity": 0,
        "label": {"fr": loaded["child_safety"].fr, "en": loaded["child_safety"].en},
    }


def test_the_queue_severity_of_a_category_is_the_data_files() -> None:
    for category in categories().values():
        assert severity_of(category.id) == category.severity
        if category.id in SEVERITY:
            assert SEVERITY[category.id] == category.severity, category.id
    assert severity_of("grooming") == 0  # a safety label, not a notice category
    assert severity_of("never-heard-of") == 4


def test_snapshot_hashes_each_item_then_the_list() -> None:
    items = [("target_message", {"seq": 2, "text": "b"}), ("declared_profile", {"id": "u1"})]
    snap = snapshot(items)
    assert [i["kind"] for i in snap["items"]] == ["target_message", "declared_profile"]
    assert all(len(i["sha256"]) == 64 for i in snap["items"])
    # Key order does not change a hash; a changed value does.
    assert (
        snapshot([("target_message", {"text": "b", "seq": 2})])["items"][0]["sha256"]
        == snap["items"][0]["sha256"]
    )
    assert (
        snapshot([("target_message", {"seq": 2, "text": "c"})])["items"][0]["sha256"]
        != snap["items"][0]["sha256"]
    )
    assert snapshot(list(reversed(items)))["sha256"] != snap["sha256"]


# --- trusted flaggers and notifiers -------------------------------------------------------------------
def test_parse_trusted_accepts_name_and_sha256() -> None:
    assert parse_trusted([]) == {}
    assert parse_trusted([f"asso:{HEX}"]) == {HEX: "asso"}
    assert parse_trusted([f"  e-enfance :{HEX.upper()}"]) == {HEX: "e-enfance"}
    # The name may hold colons: the digest is after the last one.
    assert parse_trusted([f"org:paris:{HEX}"]) == {HEX: "org:paris"}
    other = hashlib.sha256(b"autre").hexdigest()
    assert parse_trusted([f"a:{HEX}", f"b:{other}"]) == {HEX: "a", other: "b"}


@pytest.mark.parametrize(
    "entry",
    [HEX, f":{HEX}", f"asso:{HEX[:-1]}", f"asso:{HEX}0", f"asso:{HEX[:-1]}g", "asso:", "asso", ""],
)
def test_parse_trusted_refuses_malformed_entries(entry: str) -> None:
    with pytest.raises(ValueError, match="trusted_flaggers"):
        parse_trusted([entry])


def test_a_trusted_flagger_is_known_by_the_sha256_of_its_key() -> None:
    notices = Notices(cast(Store, None), cast(Cases, None), parse_trusted([f"asso:{HEX}"]))
    assert notices.flagger("la cle de l'association") == "asso"
    assert notices.flagger("une autre cle") is None
    assert notices.flagger(HEX) is None  # the digest itself is not the key
    assert notices.flagger(None) is None and notices.flagger("") is None
    assert Notices(cast(Store, None), cast(Cases, None)).flagger("la cle de l'association") is None


def test_reporter_key_is_the_device_else_the_session_else_the_address_prefix() -> None:
    assert reporter_key("dev1", "u1", "203.0.113.5") == "d:dev1"
    assert reporter_key(None, "u1", "203.0.113.5") == "u:u1"
    assert reporter_key("", None, "203.0.113.5") == "ip:203.0.113.0/24"
    assert reporter_key(None, None, "2001:db8::1") == "ip:2001:db8::/64"
    assert reporter_key(None, None, "unknown") is None
    assert reporter_key(None, None, None) is None


# --- actions that apply to a case -----------------------------------------------------------------------
def _case(target: str, subject: str | None) -> CaseRow:
    return CaseRow(
        id="c1", target=target, category="harassment", severity=3, origin="report", status="open",
        reports=1, created_at=1, updated_at=1, evidence={"items": [], "sha256": ""}, evidence_sha256="",
        legal_hold=False, subject_id=subject,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("target", "subject", "actions"),
    [
        (
            "message:room-paris:42",
            "u1",
            ["dismiss", "delete_message", "warn", "timeout", "ban", "close_room", "escalate"],
        ),
        (
            "message:r-prive:3",
            "u1",
            ["dismiss", "delete_message", "warn", "timeout", "ban", "close_room", "escalate"],
        ),
        # A private conversation is no room to close.
        ("message:pm-u1-u2:5", "u1", ["dismiss", "delete_message", "warn", "timeout", "ban", "escalate"]),
        ("user:u1", "u1", ["dismiss", "warn", "timeout", "ban", "escalate"]),
        # A private room's subject is its owner; a theme room has none.
        ("room:r-prive", "u1", ["dismiss", "warn", "timeout", "ban", "close_room", "escalate"]),
        ("room:room-paris", None, ["dismiss", "close_room", "escalate"]),
        # An automated flag outside a conversation.
        ("flag:e1", "u1", ["dismiss", "warn", "timeout", "ban", "escalate"]),
        ("message:room-paris:42", None, ["dismiss", "delete_message", "close_room", "escalate"]),
    ],
)
def test_actions_for_each_kind_of_target(target: str, subject: str | None, actions: list[str]) -> None:
    assert Moderation.actions_for(_case(target, subject)) == actions


# --- statements of reasons ----------------------------------------------------------------------------
def _moderation() -> Moderation:
    return Moderation(cast(Store, None), cast(AuditLog, None), cast(Enforcer, None))


def _decision(action: str, until: int | None = None, status: str = "in_force", **kw: Any) -> DecisionRow:
    now = now_ms()
    fields: dict[str, Any] = {
        "id": "d1", "case_id": "c1", "moderator_id": "m1", "moderator_name": "alice", "action": action,
        "ground": "tos-3", "facts": "Insultes répétées.", "target": "user:u1", "subject_id": "u1",
        "subject_device": "dev1", "until": until, "ban_device": False, "ban_ip_prefix": None,
        "network_until": None, "automated_detection": False, "status": status, "created_at": now,
        "appeal_until": now + APPEAL_WINDOW_MS, "appeal_key": "cle-d-appel",
    }  # fmt: skip
    fields.update(kw)
    return DecisionRow(**fields)


async def test_a_statement_carries_the_ground_the_restriction_and_the_appeal_key() -> None:
    st = await _moderation().statement(_decision("timeout", until=now_ms() + 3_600_000))
    assert st["id"] == "d1" and st["action"] == "timeout" and st["status"] == "in_force"
    assert st["ground"] == grounds()["tos-3"].public()
    assert st["restriction"] == "Envoi de messages suspendu" and st["automated_decision"] is False
    assert st["appeal"] == {
        "until": st["decided_at"] + APPEAL_WINDOW_MS,
        "key": "cle-d-appel",
        "state": None,
        "reply": None,
    }
    assert st["permanent"] is False and "six mois" in st["redress"]
    hidden = await _moderation().statement(_decision("warn"), with_key=False)
    assert hidden["appeal"]["key"] is None


async def test_a_statement_status_follows_expiry_and_reversal() -> None:
    m = _moderation()
    assert (await m.statement(_decision("timeout", until=now_ms() - 1)))["status"] == "expired"
    assert (await m.statement(_decision("ban", until=now_ms() - 1)))["status"] == "expired"
    assert (await m.statement(_decision("ban", status="reversed")))["status"] == "reversed"
    permanent = await m.statement(_decision("ban"))
    assert permanent["status"] == "in_force" and permanent["permanent"] is True
    appeal = AppealRow(
        id="a1", decision_id="d1", text="je conteste", at=now_ms(), status="upheld",
        decided_by="m2", decided_at=now_ms(), reply="maintenu",
    )  # fmt: skip
    upheld = await m.statement(_decision("warn"), appeal)
    assert upheld["appeal"]["state"] == "upheld" and upheld["appeal"]["reply"] == "maintenu"


async def test_the_statement_frame_names_the_restriction_ground_facts_and_redress() -> None:
    frame = await _moderation().statement_frame(_decision("ban", automated_detection=True))
    assert frame["t"] == "notice" and frame["code"] == "statement_of_reasons"
    text = frame["text"]
    assert text.startswith("Exclusion de Causette.") and "Sans limite de durée." in text
    assert f"Motif : {grounds()['tos-3'].title}." in text and "Faits : Insultes répétées." in text
    assert "outil automatique" in text and "six mois" in text
    assert frame["statement"]["automated_detection"] is True


def test_every_restricting_action_has_a_restriction_text() -> None:
    from causette.moderation.decisions import OUTCOME_FR, RESTRICTION_FR

    assert set(RESTRICTION_FR) == set(RESTRICTING)
    assert set(OUTCOME_FR) == {"dismiss", *RESTRICTING}
