"""Entities shared by every layer: what each one shows on the wire, and the age bands of rooms."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from causette.domain.models import Message, Room, RoomKind, User, is_private_conv
from causette.protocol import frames as f

PUBLIC_USER_KEYS = {"id", "pseudonym", "age", "gender", "departement", "region"}


def alice() -> User:
    return User(
        id="uabc",
        pseudonym="Alice",
        skeleton="alice-skeleton",
        age=34,
        gender="f",
        departement="2A",
        region="corse",
    )


def band(min_age: int | None, max_age: int | None) -> Room:
    return Room("ages", "Âges", RoomKind.AGE, "", min_age=min_age, max_age=max_age)


# --- Room.admits_age --------------------------------------------------------------------------------


@pytest.mark.parametrize(("age", "admitted"), [(17, False), (18, True), (21, True), (25, True), (26, False)])
def test_age_band_admits_its_bounds_inclusive(age: int, admitted: bool) -> None:
    assert band(18, 25).admits_age(age) is admitted


@pytest.mark.parametrize(("age", "admitted"), [(49, False), (50, True), (120, True)])
def test_open_ended_age_band_admits_every_age_from_its_minimum(age: int, admitted: bool) -> None:
    assert band(50, None).admits_age(age) is admitted


@pytest.mark.parametrize(("age", "admitted"), [(0, True), (30, True), (31, False)])
def test_age_band_with_only_a_maximum_admits_every_age_up_to_it(age: int, admitted: bool) -> None:
    assert band(None, 30).admits_age(age) is admitted


@pytest.mark.parametrize("kind", [RoomKind.THEME, RoomKind.REGION, RoomKind.PRIVATE])
@pytest.mark.parametrize("age", [13, 18, 65, 120])
def test_room_without_a_band_admits_every_age(kind: RoomKind, age: int) -> None:
    assert Room("general", "Général", kind, "").admits_age(age)


def test_single_age_band_admits_that_age_only() -> None:
    room = band(30, 30)
    assert [room.admits_age(a) for a in (29, 30, 31)] == [False, True, False]


# --- Room.public -------------------------------------------------------------------------------------


def test_theme_room_public_has_the_base_fields_only() -> None:
    room = Room("general", "Général", RoomKind.THEME, "De tout")
    assert room.public(12) == {
        "id": "general",
        "name": "Général",
        "kind": "theme",
        "topic": "De tout",
        "members": 12,
    }


def test_region_room_public_names_its_region() -> None:
    room = Room("region-corse", "Corse", RoomKind.REGION, "", region="corse")
    out = room.public(0)
    assert out["region"] == "corse"
    assert out["kind"] == "region"
    assert "min_age" not in out and "max_age" not in out


def test_age_room_public_shows_its_band() -> None:
    out = band(18, 25).public(3)
    assert (out["min_age"], out["max_age"], out["kind"]) == (18, 25, "age")
    assert "max_age" not in band(50, None).public(3)


def test_private_room_public_shows_its_cap_but_not_its_owner() -> None:
    room = Room("r-abc", "Mes amis", RoomKind.PRIVATE, "", owner_id="uowner", cap=20)
    out = room.public(2, True)
    assert out["cap"] == 20
    assert out["kind"] == "private"
    assert "owner_id" not in out
    assert "uowner" not in orjson.dumps(out).decode()


def test_room_public_includes_joined_only_when_known() -> None:
    room = Room("general", "Général", RoomKind.THEME, "")
    assert "joined" not in room.public(1)
    assert room.public(1, True)["joined"] is True
    assert room.public(1, False)["joined"] is False


def test_room_public_kind_is_a_plain_string_on_the_wire() -> None:
    out = Room("general", "Général", RoomKind.THEME, "").public(0)
    assert type(out["kind"]) is str
    assert orjson.loads(orjson.dumps(out))["kind"] == "theme"


def test_room_kinds_are_the_four_of_the_contract() -> None:
    assert {k.value for k in RoomKind} == {"theme", "region", "age", "private"}


# --- User ----------------------------------------------------------------------------------------------


def test_user_public_has_exactly_the_contract_fields() -> None:
    assert alice().public() == {
        "id": "uabc",
        "pseudonym": "Alice",
        "age": 34,
        "gender": "f",
        "departement": "2A",
        "region": "corse",
    }


def test_user_public_never_contains_the_skeleton() -> None:
    out = alice().public()
    assert "skeleton" not in out
    assert "alice-skeleton" not in orjson.dumps(out).decode()


def test_user_never_holds_a_postal_code() -> None:
    # Only the département is ever shown: the postal code is not even kept on the entity.
    names = {field.name for field in dataclasses.fields(User)}
    assert not any("postal" in name for name in names)
    assert set(alice().public()) == PUBLIC_USER_KEYS


def test_user_public_matches_the_wire_user_model() -> None:
    out = alice().public()
    assert f.UserOut(**out).model_dump() == out


def test_user_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        alice().age = 17  # type: ignore[misc]


# --- Message.wire --------------------------------------------------------------------------------------


def test_message_wire_is_the_msg_frame_of_the_contract() -> None:
    message = Message("general", 42, "uabc", "Alice", "f", "bonjour", 1_700_000_000_123)
    assert message.wire() == {
        "t": "msg",
        "conv": "general",
        "seq": 42,
        "from": {"id": "uabc", "pseudonym": "Alice", "gender": "f"},
        "text": "bonjour",
        "at": 1_700_000_000_123,
    }


def test_message_wire_author_is_the_users_author() -> None:
    user = alice()
    message = Message("general", 1, user.id, user.pseudonym, user.gender, "x", 0)
    assert message.wire()["from"] == {"id": user.id, "pseudonym": user.pseudonym, "gender": user.gender}


def test_message_wire_keeps_hostile_text_intact() -> None:
    text = "\u202eevil\u200b 😀"
    message = Message("general", 1, "u", "p", "x", text, 0)
    assert orjson.loads(orjson.dumps(message.wire()))["text"] == text


# --- conversations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("conv", "private"), [("pm-abc", True), ("general", False), ("r-abc", False)])
def test_private_conversations_are_those_prefixed_pm(conv: str, private: bool) -> None:
    assert is_private_conv(conv) is private
