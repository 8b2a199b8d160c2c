"""Entry without registration: POST /api/v1/sessions (docs/protocol.md, "REST")."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import DedicatedServer
from tests.support.client import enter, error_code, unique_pseudonym
from tests.support.harness import Harness
from tests.support.server import ServerProcess


async def refusal(
    server: ServerProcess, http: httpx.AsyncClient, **fields: object
) -> tuple[int, str | None, str]:
    status, body = await enter(server.base_url, client=http, **fields)  # type: ignore[arg-type]
    assert 400 <= status < 500, f"expected a refusal, got {status} {body}"
    code = error_code(body)
    assert code is not None, f"refusal without {{error: {{code, message}}}}: {body}"
    return status, code, body["error"]["message"]


async def test_config_tells_where_the_websocket_is(http: httpx.AsyncClient, server: ServerProcess) -> None:
    resp = await http.get("/api/v1/config")
    assert resp.status_code == 200
    config = resp.json()
    assert config["ws_url"].startswith("ws://127.0.0.1:")
    assert str(server.ws_port) in config["ws_url"]
    assert config["subprotocol"] == "causette.v1"
    assert config["min_age"] == 18
    assert config["max_message_chars"] == 2000
    assert config["history_size"] == 50
    assert config["max_open_requests"] == 5
    assert config["regions"]["ile-de-france"] == "Île-de-France"


async def test_entry_returns_token_and_public_user_without_postal_code(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    pseudonym = unique_pseudonym("alice")
    status, body = await enter(
        server.base_url, pseudonym, age=30, gender="f", postal_code="75011", client=http
    )
    assert status == 201, body
    assert isinstance(body["token"], str) and body["token"]
    assert isinstance(body["expires_at"], int)
    user = body["user"]
    assert set(user) >= {"id", "pseudonym", "age", "gender", "departement", "region"}
    assert user["pseudonym"] == pseudonym
    assert user["age"] == 30
    assert user["gender"] == "f"
    assert user["departement"] == "75"
    assert user["region"] == "ile-de-france"
    assert "75011" not in json.dumps(body), "the postal code must never be echoed"
    me = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]
    assert "75011" not in me.text


async def test_pseudonym_is_normalised_trimmed_and_spaces_folded(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    base = unique_pseudonym("n")
    status, body = await enter(server.base_url, f"  {base[:5]}   {base[5:]} ", client=http)
    assert status == 201, body
    assert body["user"]["pseudonym"] == f"{base[:5]} {base[5:]}"


async def test_minor_is_refused_and_pointed_to_3018(server: ServerProcess, http: httpx.AsyncClient) -> None:
    for age in (15, 17):
        _, code, message = await refusal(server, http, age=age)
        assert code == "underage"
        assert "3018" in message, message


async def test_adult_of_exactly_min_age_enters(server: ServerProcess, http: httpx.AsyncClient) -> None:
    status, body = await enter(server.base_url, age=18, client=http)
    assert status == 201, body
    assert body["user"]["age"] == 18


@pytest.mark.parametrize("postal_code", ["ABCDE", "00000", "98000", "1234", "750011", ""])
async def test_invalid_postal_code_is_refused(
    server: ServerProcess, http: httpx.AsyncClient, postal_code: str
) -> None:
    _, code, _ = await refusal(server, http, postal_code=postal_code)
    assert code == "postal_code_invalid"


@pytest.mark.parametrize(
    ("postal_code", "departement"),
    [("20000", "2A"), ("20200", "2B"), ("97400", "974"), ("97100", "971"), ("01000", "01"), ("13001", "13")],
)
async def test_postal_code_shows_only_its_departement(
    server: ServerProcess, http: httpx.AsyncClient, postal_code: str, departement: str
) -> None:
    status, body = await enter(server.base_url, postal_code=postal_code, client=http)
    assert status == 201, body
    assert body["user"]["departement"] == departement
    assert postal_code not in json.dumps(body["user"])


@pytest.mark.parametrize(
    "pseudonym",
    [
        "ab",  # too short
        "x" * 21,  # too long
        "x" * 200,
        "ali\u200bce-zw",  # zero-width space
        "ali\u202ece-bidi",  # right-to-left override
        "ali\u0007ce",  # control character
        "alice<script>",  # outside letters, digits, space, _ - .
    ],
    ids=["short", "long", "very-long", "zero-width", "bidi-override", "control", "markup"],
)
async def test_invalid_pseudonym_is_refused(
    server: ServerProcess, http: httpx.AsyncClient, pseudonym: str
) -> None:
    _, code, _ = await refusal(server, http, pseudonym=pseudonym)
    assert code == "pseudonym_invalid"


@pytest.mark.parametrize("pseudonym", ["admin", "Admin", "Modérateur", "causette"])
async def test_reserved_pseudonym_is_refused(
    server: ServerProcess, http: httpx.AsyncClient, pseudonym: str
) -> None:
    _, code, _ = await refusal(server, http, pseudonym=pseudonym)
    assert code == "pseudonym_reserved"


async def test_pseudonym_of_living_session_is_taken_by_skeleton(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    name = unique_pseudonym("alice")  # starts with a lowercase 'a'
    status, body = await enter(server.base_url, name, client=http)
    assert status == 201, body
    variants = {
        "duplicate": name,
        "upper case": name.upper(),
        "Cyrillic а": "\u0430" + name[1:],
        "Greek Α": "\u0391" + name[1:],
    }
    for label, variant in variants.items():
        _, code, _ = await refusal(server, http, pseudonym=variant)
        assert code == "pseudonym_taken", f"{label}: {variant!r} -> {code}"


async def test_pseudonym_stays_reserved_after_the_last_socket_closes(chat: Harness) -> None:
    # The grace period (10 minutes by default) lets a reconnect keep the name.
    alice, a = await chat.online("alice")
    await a.close()
    status, body = await enter(chat.server.base_url, alice.pseudonym, client=chat.http)
    assert 400 <= status < 500, body
    assert error_code(body) == "pseudonym_taken"
    again = await chat.connect(alice)
    assert again.welcome is not None and again.welcome["user"]["pseudonym"] == alice.pseudonym


@pytest.mark.parametrize(
    ("fields", "codes"),
    [
        ({"gender": "z"}, {"gender_invalid"}),
        ({"gender": ""}, {"gender_invalid"}),
        ({"age": -1}, {"age_invalid"}),
        ({"age": 121}, {"age_invalid"}),
        ({"age": "30"}, {"bad_request", "age_invalid"}),
        ({"age": 30.5}, {"bad_request", "age_invalid"}),
        ({"postal_code": 75011}, {"bad_request", "postal_code_invalid"}),
    ],
    ids=["gender-z", "gender-empty", "age-negative", "age-121", "age-string", "age-float", "postal-int"],
)
async def test_invalid_field_is_refused_with_its_code(
    server: ServerProcess, http: httpx.AsyncClient, fields: dict[str, object], codes: set[str]
) -> None:
    _, code, _ = await refusal(server, http, **fields)
    assert code in codes


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2, 3]", b'"a string"', b""],
    ids=["malformed", "array", "string", "empty"],
)
async def test_malformed_entry_body_is_bad_request(http: httpx.AsyncClient, content: bytes) -> None:
    resp = await http.post("/api/v1/sessions", content=content, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, resp.text
    assert error_code(resp.json()) == "bad_request"


async def test_entry_with_missing_fields_is_refused(http: httpx.AsyncClient) -> None:
    # The protocol names no code for a missing field: bad_request, or the code of the field.
    resp = await http.post("/api/v1/sessions", json={"pseudonym": unique_pseudonym()})
    assert resp.status_code == 400, resp.text
    assert error_code(resp.json()) in ("bad_request", "age_invalid", "gender_invalid", "postal_code_invalid")


async def test_entry_allows_30_per_minute_per_address_then_rate_limits(
    dedicated_server: DedicatedServer,
) -> None:
    # Rate limits as shipped: CAUSETTE_RATE_LIMITS unset, the default 30 entries per minute.
    limited = dedicated_server("entry-limit", rate_limits=None, env={"CAUSETTE_ENTRY_RATE_PER_MINUTE": None})
    async with Harness.on(limited) as h:
        statuses = []
        for _ in range(30):
            status, body = await enter(limited.base_url, client=h.http)
            statuses.append(status)
            assert status == 201, f"entry {len(statuses)} of the first 30 refused: {status} {body}"
        refused = None
        for _ in range(10):
            status, body = await enter(limited.base_url, client=h.http)
            if status == 429:
                refused = body
                break
        assert refused is not None, "40 entries in a burst from one address were all accepted"
        assert error_code(refused) == "rate_limited"


async def test_the_address_behind_a_trusted_proxy_is_the_one_counted(
    dedicated_server: DedicatedServer,
) -> None:
    """Behind the reverse proxy (127.0.0.1, trusted by default) every client has the proxy's
    address: the limit counts the address the proxy gives in X-Forwarded-For."""
    limited = dedicated_server("entry-proxy", rate_limits=None, env={"CAUSETTE_ENTRY_RATE_PER_MINUTE": "3"})
    async with Harness.on(limited) as h:

        async def status_from(address: str) -> int:
            h.http.headers["X-Forwarded-For"] = address
            status, _body = await enter(limited.base_url, client=h.http)
            return status

        assert [await status_from("203.0.113.7") for _ in range(4)] == [201, 201, 201, 429]
        assert await status_from("198.51.100.20") == 201


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(dedicated_server: DedicatedServer) -> None:
    limited = dedicated_server(
        "entry-untrusted",
        rate_limits=None,
        env={"CAUSETTE_ENTRY_RATE_PER_MINUTE": "2", "CAUSETTE_FORWARDED_ALLOW_IPS": "10.9.9.9"},
    )
    async with Harness.on(limited) as h:
        statuses = []
        for i in range(3):  # a new address each time: all counted as this test's own
            h.http.headers["X-Forwarded-For"] = f"203.0.113.{i + 1}"
            statuses.append((await enter(limited.base_url, client=h.http))[0])
        assert statuses == [201, 201, 429]
