"""Entry without registration: POST /api/v1/sessions (docs/protocol.md, "REST")."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from causette.domain.ids import new_id
from causette.domain.models import User
from causette.store import Store
from causette.store.database import now_ms
from causette.store.sessions import Entry
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


async def test_entries_arriving_together_each_get_a_session_and_one_name_goes_to_one_of_them(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    """Entries are group-committed: many at once share a transaction, yet each gets its own
    answer, and of several asking for one name (or a look-alike) exactly one gets it."""
    names = [unique_pseudonym("lot") for _ in range(40)]
    contested = unique_pseudonym("dispute")
    asks = [*names, contested, contested.upper(), contested.lower(), contested]
    results = await asyncio.gather(*(enter(server.base_url, n, client=http) for n in asks))
    for name, (status, body) in zip(names, results[: len(names)], strict=True):
        assert status == 201, (name, body)
        assert body["user"]["pseudonym"] == name
    assert len({body["user"]["id"] for _, body in results[: len(names)]}) == len(names)
    contest = [(status, body) for status, body in results[len(names) :]]
    assert sorted(status for status, _ in contest) == [201, 409, 409, 409], contest
    assert all(error_code(body) == "pseudonym_taken" for status, body in contest if status == 409)


async def test_the_entry_answer_carries_the_security_headers_and_the_device_cookie(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    resp = await http.post(
        "/api/v1/sessions",
        json={"pseudonym": unique_pseudonym(), "age": 30, "gender": "x", "postal_code": "13001"},
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers["content-type"] == "application/json"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    assert resp.headers["x-causette-node"].endswith(f":{server.pid}")
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith("causette_device=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    refused = await http.post(
        "/api/v1/sessions", content=b"[1]", headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 400
    assert refused.headers["x-content-type-options"] == "nosniff"


async def test_entry_is_in_the_openapi_schema(http: httpx.AsyncClient) -> None:
    schema = (await http.get("/api/v1/openapi.json")).json()
    post = schema["paths"]["/api/v1/sessions"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"pseudonym", "age", "gender", "postal_code"}
    assert {"201", "400", "403", "409", "429"} <= set(post["responses"])
    assert "delete" in schema["paths"]["/api/v1/sessions/current"]


async def test_one_batch_of_entries_gives_a_name_to_its_first_asker_only(server: ServerProcess) -> None:
    """SessionRepository.enter, below the name claims: entries of one skeleton in one batch, and
    an entry whose name a living session holds."""
    store = Store.open(server.store_url)
    store.start()
    try:
        now = now_ms()

        def entry(pseudonym: str, skeleton: str) -> Entry:
            user = User(new_id("u"), pseudonym, skeleton, 30, "f", "75", "Île-de-France")
            return Entry(user, now, now + 3_600_000, now + 60_000, device_id=None, address="192.0.2.1")

        holder = unique_pseudonym("tenu").lower()
        assert await store.sessions.enter(entry(holder, holder))
        twice = unique_pseudonym("deux").lower()
        free = unique_pseudonym("libre").lower()
        batch = [entry(twice, twice), entry(holder, holder), entry(twice.upper(), twice), entry(free, free)]
        results = await asyncio.gather(*(store.sessions.enter(e) for e in batch))
        assert results == [True, False, False, True]
        for e, created in zip(batch, results, strict=True):
            found = await store.sessions.get(e.user.id)
            assert (found is not None) == created
    finally:
        await store.close()
