"""Wire frames of protocol v1 (docs/protocol.md): decoding client frames, encoding server frames."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from causette.protocol import frames as f
from causette.protocol.errors import CloseCode, ErrorCode, ProtocolError


def refusal(raw: bytes | str) -> ProtocolError:
    """Decode a frame that must be refused, and return the refusal."""
    with pytest.raises(ProtocolError) as refused:
        f.decode(raw)
    return refused.value


def frame(**fields: Any) -> bytes:
    return orjson.dumps(fields)


# A valid example of each client frame of the contract.
VALID: dict[str, dict[str, Any]] = {
    "hello": {"t": "hello", "resume": {"general": 3, "pm-abc": 0}},
    "join": {"t": "join", "room": "general"},
    "leave": {"t": "leave", "room": "general"},
    "say": {"t": "say", "conv": "general", "text": "bonjour", "cid": "c1"},
    "pm_request": {"t": "pm_request", "to": "u123", "text": "salut", "cid": "c2"},
    "pm_answer": {"t": "pm_answer", "request": "q123", "accept": True},
    "block": {"t": "block", "user": "u123"},
    "unblock": {"t": "unblock", "user": "u123"},
    "report": {"t": "report", "target": {"conv": "general", "seq": 4}, "category": "spam", "text": "pub"},
    "typing": {"t": "typing", "conv": "general"},
    "ping": {"t": "ping"},
}

MODELS: dict[str, type[Any]] = {
    "hello": f.Hello,
    "join": f.Join,
    "leave": f.Leave,
    "say": f.Say,
    "pm_request": f.PmRequest,
    "pm_answer": f.PmAnswer,
    "block": f.Block,
    "unblock": f.Unblock,
    "report": f.Report,
    "typing": f.Typing,
    "ping": f.Ping,
}


# --- the error layer ----------------------------------------------------------------------------


def test_error_codes_are_those_documented_in_the_protocol() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
    table = doc.split("### Error codes (WebSocket)", 1)[1].split("###", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.M))
    # `internal` is a server fault, documented but not a refusal the chat layer raises.
    assert {code.value for code in ErrorCode} == documented - {"internal"}
    assert str(ErrorCode.BAD_FRAME) == "bad_frame"


def test_close_codes_are_those_of_the_contract() -> None:
    assert CloseCode.GOING_AWAY == 1001
    assert CloseCode.POLICY_VIOLATION == 1008
    assert CloseCode.MESSAGE_TOO_BIG == 1009
    assert CloseCode.TRY_AGAIN_LATER == 1013
    assert CloseCode.SESSION_ENDED == 4001


def test_protocol_error_carries_code_message_and_cid() -> None:
    error = ProtocolError(ErrorCode.BAD_FRAME, "nope", "c9")
    assert (error.code, error.message, error.cid) == (ErrorCode.BAD_FRAME, "nope", "c9")
    assert str(error) == "nope"
    assert ProtocolError(ErrorCode.UNKNOWN_TYPE, "x").cid is None


def test_subprotocol_is_causette_v1() -> None:
    assert f.SUBPROTOCOL == "causette.v1"


def test_every_client_frame_type_of_the_contract_is_known() -> None:
    assert set(f.CLIENT_FRAMES) == set(VALID)
    assert all(f.CLIENT_FRAMES[name] is MODELS[name] for name in VALID)


# --- not a frame at all -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"", b"   ", b"{", b"not json", b'{"t": "ping",}', b"NaN", b"{'t': 'ping'}", b'{"t":"ping"} {}'],
)
def test_frame_that_is_not_json_is_refused_with_bad_frame(raw: bytes) -> None:
    error = refusal(raw)
    assert error.code is ErrorCode.BAD_FRAME
    assert error.cid is None


def test_frame_that_is_not_utf8_is_refused_with_bad_frame() -> None:
    assert refusal(b'{"t":"ping","x":"\xff\xfe"}').code is ErrorCode.BAD_FRAME


def test_frame_with_a_byte_order_mark_is_refused_with_bad_frame() -> None:
    assert refusal(b'\xef\xbb\xbf{"t":"ping"}').code is ErrorCode.BAD_FRAME


def test_deeply_nested_json_is_refused_with_bad_frame_not_a_recursion_error() -> None:
    assert refusal(b"[" * 5000 + b"]" * 5000).code is ErrorCode.BAD_FRAME
    nested = b'{"t":"ping","x":' + b'{"a":' * 5000 + b"1" + b"}" * 5001
    assert refusal(nested).code is ErrorCode.BAD_FRAME


@pytest.mark.parametrize("raw", [b"[]", b'[{"t":"ping"}]', b"42", b"-1.5", b'"ping"', b"true", b"null"])
def test_json_that_is_not_an_object_is_refused_with_bad_frame(raw: bytes) -> None:
    error = refusal(raw)
    assert error.code is ErrorCode.BAD_FRAME
    assert error.cid is None


def test_frame_given_as_text_is_decoded_like_bytes() -> None:
    assert f.decode('{"t":"ping"}') == f.decode(b'{"t":"ping"}') == f.Ping(t="ping")


# --- the type field -------------------------------------------------------------------------------


def test_frame_without_type_is_refused_with_bad_frame() -> None:
    assert refusal(frame(room="general")).code is ErrorCode.BAD_FRAME


@pytest.mark.parametrize("t", [None, 1, 1.5, True, [], ["ping"], {"t": "ping"}])
def test_frame_whose_type_is_not_a_string_is_refused_with_bad_frame(t: object) -> None:
    assert refusal(frame(t=t)).code is ErrorCode.BAD_FRAME


def test_frame_without_type_still_echoes_its_cid() -> None:
    error = refusal(frame(conv="general", text="x", cid="c7"))
    assert (error.code, error.cid) == (ErrorCode.BAD_FRAME, "c7")


@pytest.mark.parametrize(
    "t", ["", "PING", "Ping", " ping", "msg", "welcome", "error", "__class__", "hello\x00"]
)
def test_frame_with_unknown_type_is_refused_with_unknown_type(t: str) -> None:
    error = refusal(frame(t=t))
    assert error.code is ErrorCode.UNKNOWN_TYPE
    assert error.cid is None


def test_frame_with_unknown_type_echoes_its_cid() -> None:
    error = refusal(frame(t="shout", cid="abc-1"))
    assert (error.code, error.cid) == (ErrorCode.UNKNOWN_TYPE, "abc-1")


@pytest.mark.parametrize("cid", [1, None, ["c"], {"c": 1}, True])
def test_cid_that_is_not_a_string_is_not_echoed(cid: object) -> None:
    assert refusal(frame(t="shout", cid=cid)).cid is None


def test_unknown_type_in_the_refusal_message_is_truncated() -> None:
    error = refusal(frame(t="x" * 10_000))
    assert error.code is ErrorCode.UNKNOWN_TYPE
    assert len(error.message) < 100


# --- each client frame ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(VALID))
def test_each_valid_client_frame_decodes_to_its_model(name: str) -> None:
    decoded = f.decode(frame(**VALID[name]))
    assert type(decoded) is MODELS[name]
    assert decoded.t == name
    for key, value in VALID[name].items():
        if key != "target":
            assert getattr(decoded, key) == value


def test_decoded_frames_are_immutable() -> None:
    decoded = f.decode(frame(**VALID["join"]))
    assert isinstance(decoded, f.Join)
    with pytest.raises(ValidationError):
        decoded.room = "other"


@pytest.mark.parametrize("name", sorted(VALID))
def test_unknown_fields_of_a_client_frame_are_ignored(name: str) -> None:
    extra = {**VALID[name], "future": {"x": [1, 2]}, "v": 2}
    decoded = f.decode(frame(**extra))
    assert decoded == f.decode(frame(**VALID[name]))
    assert not hasattr(decoded, "future")


def test_hello_without_resume_resumes_nothing() -> None:
    assert f.decode(frame(t="hello")) == f.Hello(t="hello", resume={})


def test_hello_with_empty_resume_is_valid() -> None:
    assert f.decode(frame(t="hello", resume={})).resume == {}  # type: ignore[union-attr]


def test_report_text_defaults_to_empty() -> None:
    decoded = f.decode(frame(t="report", target={"user": "u1"}, category="spam"))
    assert isinstance(decoded, f.Report)
    assert decoded.text == ""
    assert decoded.target == f.ReportTarget(user="u1")


@pytest.mark.parametrize(
    "target",
    [{"conv": "general", "seq": 3}, {"user": "u1"}, {"room": "general"}],
)
def test_report_accepts_a_message_user_or_room_target(target: dict[str, Any]) -> None:
    decoded = f.decode(frame(t="report", target=target, category="harcelement"))
    assert isinstance(decoded, f.Report)
    assert decoded.target.model_dump(exclude_none=True) == target


# (frame type, field, bad value): each must be refused with bad_frame, strictly (no coercion).
WRONG_TYPES: list[tuple[str, str, object]] = [
    ("hello", "resume", []),
    ("hello", "resume", "general"),
    ("hello", "resume", None),
    ("hello", "resume", {"general": "3"}),
    ("hello", "resume", {"general": 3.0}),
    ("hello", "resume", {"general": 3.5}),
    ("hello", "resume", {"general": True}),
    ("hello", "resume", {"general": None}),
    ("join", "room", 1),
    ("join", "room", None),
    ("join", "room", ["general"]),
    ("leave", "room", True),
    ("say", "conv", 5),
    ("say", "text", 5),
    ("say", "text", None),
    ("say", "text", ["bonjour"]),
    ("say", "cid", 7),
    ("pm_request", "to", 123),
    ("pm_request", "text", {"text": "x"}),
    ("pm_request", "cid", None),
    ("pm_answer", "request", 9),
    ("pm_answer", "accept", "yes"),
    ("pm_answer", "accept", "true"),
    ("pm_answer", "accept", 1),
    ("pm_answer", "accept", 0),
    ("pm_answer", "accept", None),
    ("block", "user", 42),
    ("unblock", "user", ["u"]),
    ("report", "target", "u1"),
    ("report", "target", {"conv": "general", "seq": "4"}),
    ("report", "target", {"conv": "general", "seq": 4.0}),
    ("report", "target", {"conv": "general", "seq": True}),
    ("report", "target", {"user": 5}),
    ("report", "category", 3),
    ("report", "text", 3),
    ("typing", "conv", 0),
]


@pytest.mark.parametrize(("name", "key", "value"), WRONG_TYPES)
def test_client_frame_field_with_wrong_type_is_refused_with_bad_frame(
    name: str, key: str, value: object
) -> None:
    error = refusal(frame(**{**VALID[name], key: value}))
    assert error.code is ErrorCode.BAD_FRAME
    assert error.message.startswith(f"{name}: ")


REQUIRED: list[tuple[str, str]] = [
    ("join", "room"),
    ("leave", "room"),
    ("say", "conv"),
    ("say", "text"),
    ("say", "cid"),
    ("pm_request", "to"),
    ("pm_request", "text"),
    ("pm_request", "cid"),
    ("pm_answer", "request"),
    ("pm_answer", "accept"),
    ("block", "user"),
    ("unblock", "user"),
    ("report", "target"),
    ("report", "category"),
    ("typing", "conv"),
]


@pytest.mark.parametrize(("name", "key"), REQUIRED)
def test_client_frame_missing_a_required_field_is_refused_with_bad_frame(name: str, key: str) -> None:
    fields = {k: v for k, v in VALID[name].items() if k != key}
    error = refusal(frame(**fields))
    assert error.code is ErrorCode.BAD_FRAME
    assert key in error.message


@pytest.mark.parametrize("seq", [b"18446744073709551616", b"1e400", b"-18446744073709551617", b"1e3"])
def test_seq_beyond_an_integer_json_can_carry_is_refused_cleanly(seq: bytes) -> None:
    raw = b'{"t":"hello","resume":{"general":' + seq + b"}}"
    assert refusal(raw).code is ErrorCode.BAD_FRAME


def test_seq_given_as_a_string_is_refused() -> None:
    assert refusal(frame(t="hello", resume={"general": "12"})).code is ErrorCode.BAD_FRAME


def test_accept_given_as_yes_is_refused() -> None:
    assert refusal(frame(t="pm_answer", request="q1", accept="yes")).code is ErrorCode.BAD_FRAME


def test_accept_false_declines() -> None:
    decoded = f.decode(frame(t="pm_answer", request="q1", accept=False))
    assert isinstance(decoded, f.PmAnswer)
    assert decoded.accept is False


def test_bad_field_of_a_say_echoes_its_cid() -> None:
    error = refusal(frame(t="say", conv=3, text="x", cid="c-3"))
    assert (error.code, error.cid) == (ErrorCode.BAD_FRAME, "c-3")


# --- bounds ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 2, 63, 64])
def test_cid_of_1_to_64_characters_is_accepted(length: int) -> None:
    decoded = f.decode(frame(t="say", conv="general", text="x", cid="c" * length))
    assert isinstance(decoded, f.Say)
    assert len(decoded.cid) == length


@pytest.mark.parametrize("name", ["say", "pm_request"])
@pytest.mark.parametrize("cid", ["", "c" * 65, "c" * 1000])
def test_cid_outside_1_to_64_characters_is_refused(name: str, cid: str) -> None:
    assert refusal(frame(**{**VALID[name], "cid": cid})).code is ErrorCode.BAD_FRAME


def test_cid_of_64_emoji_is_accepted_as_64_characters() -> None:
    decoded = f.decode(frame(t="say", conv="general", text="x", cid="😀" * 64))
    assert isinstance(decoded, f.Say)
    assert decoded.cid == "😀" * 64


@pytest.mark.parametrize(
    ("name", "key"),
    [("join", "room"), ("leave", "room"), ("say", "conv"), ("pm_request", "to"), ("block", "user")],
)
@pytest.mark.parametrize("value", ["", "x" * 65])
def test_id_outside_1_to_64_characters_is_refused(name: str, key: str, value: str) -> None:
    assert refusal(frame(**{**VALID[name], key: value})).code is ErrorCode.BAD_FRAME


def test_resume_with_negative_seq_is_refused() -> None:
    error = refusal(frame(t="hello", resume={"general": 5, "pm-x": -1}))
    assert error.code is ErrorCode.BAD_FRAME
    assert "resume" in error.message


def test_resume_with_zero_seq_is_accepted() -> None:
    assert f.decode(frame(t="hello", resume={"general": 0})).resume == {"general": 0}  # type: ignore[union-attr]


@pytest.mark.parametrize("conv", ["", "c" * 65])
def test_resume_with_a_conversation_id_out_of_bounds_is_refused(conv: str) -> None:
    assert refusal(frame(t="hello", resume={conv: 1})).code is ErrorCode.BAD_FRAME


def test_text_longer_than_the_absolute_bound_is_refused_before_any_processing() -> None:
    assert refusal(frame(t="say", conv="general", text="x" * 65_537, cid="c")).code is ErrorCode.BAD_FRAME
    decoded = f.decode(frame(t="say", conv="general", text="x" * 65_536, cid="c"))
    assert isinstance(decoded, f.Say)


def test_empty_text_is_left_to_the_chat_service() -> None:
    # `empty` is the service's refusal (it also covers white space only), not a decoding error.
    decoded = f.decode(frame(t="say", conv="general", text="", cid="c"))
    assert isinstance(decoded, f.Say)
    assert decoded.text == ""


@pytest.mark.parametrize("category", ["", "c" * 41])
def test_report_category_outside_1_to_40_characters_is_refused(category: str) -> None:
    assert refusal(frame(t="report", target={"user": "u"}, category=category)).code is ErrorCode.BAD_FRAME


def test_report_text_over_2000_characters_is_refused() -> None:
    raw = frame(t="report", target={"user": "u"}, category="spam", text="x" * 2001)
    assert refusal(raw).code is ErrorCode.BAD_FRAME


# --- hostile text ----------------------------------------------------------------------------------------

HOSTILE = [
    "\u202egnp.exe",  # right-to-left override
    "a\u200bb\u200c\u200d\u2060c\ufeff",  # zero-width characters
    "👩‍👩‍👧‍👦 🏳️‍🌈 🇫🇷",  # emoji sequences, ZWJ, flags
    "e\u0301\u0301\u0301",  # stacked combining marks
    "\x00\x01\x1b[31m",  # control characters, an ANSI escape
    "<script>alert(1)</script>",
    "\U0010ffff\ue000",  # the last code point, private use
    '"}],{"t":"msg"',  # JSON-looking text
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_unicode_text_is_kept_intact_by_decoding(text: str) -> None:
    decoded = f.decode(frame(t="say", conv="general", text=text, cid="c1"))
    assert isinstance(decoded, f.Say)
    assert decoded.text == text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_unicode_text_is_kept_intact_from_client_to_wire(text: str) -> None:
    decoded = f.decode(frame(t="say", conv="general", text=text, cid="c1"))
    assert isinstance(decoded, f.Say)
    out = f.MsgOut(
        conv="general", seq=1, from_=f.Author(id="u", pseudonym="p", gender="x"), text=decoded.text, at=0
    )
    assert orjson.loads(f.encode(out))["text"] == text


def test_escaped_surrogate_pair_decodes_to_the_emoji() -> None:
    decoded = f.decode(b'{"t":"say","conv":"general","text":"\\ud83d\\ude00","cid":"c1"}')
    assert isinstance(decoded, f.Say)
    assert decoded.text == "😀"


@pytest.mark.parametrize(
    "escaped",
    [b"\\ud800", b"\\udfff", b"a\\ud800b", b"\\ude00\\ud83d", b"\\ud83d"],
)
def test_lone_surrogate_escape_is_refused_cleanly_with_bad_frame(escaped: bytes) -> None:
    # orjson refuses a lone surrogate as invalid JSON, so no such string (which orjson could not
    # encode again) ever reaches the service, the store or encode(). Any other exception type
    # would escape the gateway's ProtocolError handling.
    raw = b'{"t":"say","conv":"general","text":"' + escaped + b'","cid":"c1"}'
    assert refusal(raw).code is ErrorCode.BAD_FRAME


def test_lone_surrogate_in_a_python_string_is_refused_cleanly_with_bad_frame() -> None:
    assert refusal('{"t":"say","conv":"general","text":"\ud800","cid":"c1"}').code is ErrorCode.BAD_FRAME


def test_duplicate_keys_keep_the_last_value() -> None:
    # orjson keeps the last occurrence; decoding never sees two values of one field.
    assert f.decode(b'{"t":"join","room":"a","room":"general"}') == f.Join(t="join", room="general")


# --- server frames -----------------------------------------------------------------------------------


def author() -> f.Author:
    return f.Author(id="u1", pseudonym="Alice", gender="f")


def test_msg_frame_puts_its_author_under_from_on_the_wire() -> None:
    out = orjson.loads(f.encode(f.MsgOut(conv="general", seq=7, from_=author(), text="salut", at=1700)))
    assert out == {
        "t": "msg",
        "conv": "general",
        "seq": 7,
        "from": {"id": "u1", "pseudonym": "Alice", "gender": "f"},
        "text": "salut",
        "at": 1700,
    }
    assert "from_" not in out


def test_msg_frame_matches_the_message_wire_shape() -> None:
    from causette.domain.models import Message

    message = Message("general", 7, "u1", "Alice", "f", "salut", 1700)
    out = f.MsgOut(conv="general", seq=7, from_=author(), text="salut", at=1700)
    assert orjson.loads(f.encode(out)) == message.wire()


def test_ack_of_a_message_carries_cid_conv_and_seq_only() -> None:
    assert orjson.loads(f.encode(f.Ack(cid="c1", conv="general", seq=3))) == {
        "t": "ack",
        "cid": "c1",
        "conv": "general",
        "seq": 3,
    }


def test_ack_of_a_request_carries_cid_and_request_only() -> None:
    assert orjson.loads(f.encode(f.Ack(cid="c1", request="q1"))) == {"t": "ack", "cid": "c1", "request": "q1"}


def test_error_frame_omits_cid_when_none() -> None:
    out = orjson.loads(f.error_frame("bad_frame", "Trame invalide."))
    assert out == {"t": "error", "code": "bad_frame", "message": "Trame invalide."}


def test_error_frame_repeats_the_cid_when_given() -> None:
    out = orjson.loads(f.error_frame(ErrorCode.TOO_LONG, "Trop long.", "c1"))
    assert out == {"t": "error", "code": "too_long", "message": "Trop long.", "cid": "c1"}


def test_error_frame_names_the_conversation_when_given() -> None:
    out = orjson.loads(f.error_frame("already_open", "Déjà ouverte.", "c1", "pm-abc"))
    assert out["conv"] == "pm-abc"


def test_error_frame_equals_encoding_an_error_out_model() -> None:
    assert f.error_frame("x", "y", "c") == f.encode(f.ErrorOut(code="x", message="y", cid="c"))


def test_error_frame_keeps_french_text_as_utf8() -> None:
    raw = f.error_frame("empty", "Le message est vide, écrivez quelque chose.")
    assert "écrivez".encode() in raw
    assert orjson.loads(raw)["message"] == "Le message est vide, écrivez quelque chose."


def test_encode_returns_bytes_encoded_once() -> None:
    raw = f.encode(f.Ack(cid="c", conv="g", seq=1))
    assert isinstance(raw, bytes)
    assert raw == b'{"t":"ack","cid":"c","conv":"g","seq":1}'


def test_encode_dict_encodes_plain_dicts_compactly() -> None:
    assert f.encode_dict({"t": "pong"}) == b'{"t":"pong"}'
    payload = {"t": "presence", "online": [{"id": "u", "pseudonym": "Zoé"}], "offline": ["v"]}
    assert orjson.loads(f.encode_dict(payload)) == payload


def test_server_frame_type_is_fixed() -> None:
    assert f.MsgOut(conv="c", seq=1, from_=author(), text="", at=0).t == "msg"
    assert f.Ack(cid="c").t == "ack"
    assert f.ErrorOut(code="c", message="m").t == "error"


def test_user_out_has_the_public_user_fields() -> None:
    user = f.UserOut(id="u", pseudonym="p", age=30, gender="x", departement="75", region="ile-de-france")
    assert set(orjson.loads(f.encode(user))) == {"id", "pseudonym", "age", "gender", "departement", "region"}


def test_the_domain_wire_shapes_are_those_of_the_protocol_models() -> None:
    from causette.domain.models import Message, User

    message = Message("general", 3, "u1", "Alice", "f", "salut", 1700)
    assert f.MsgOut.model_validate({**message.wire(), "from_": message.wire()["from"]}).seq == 3
    user = User("u1", "Alice", "alice", 30, "f", "75", "ile-de-france")
    assert f.UserOut.model_validate(user.public()).departement == "75"
