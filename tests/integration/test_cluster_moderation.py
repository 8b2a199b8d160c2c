"""Moderation decided on one node takes effect on every node at once (issue 8): a message deleted
from the console served by node A leaves the screens of members on node B, and a time-out decided
on A stops its subject's messages on B."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cluster import cluster
from tests.support.harness import Harness, benign_text
from tests.support.moderation import act, case_for, moderator, report, statement_notice

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def test_a_deletion_and_a_time_out_decided_on_one_node_apply_on_the_other(tmp_path: Path) -> None:
    with cluster(tmp_path) as (node_a, node_b):
        async with Harness.on(node_a) as on_a, Harness.on(node_b) as on_b:
            http = on_a.http  # the console talks to node A
            alice, a = await on_b.online("alice")
            _carol, c = await on_b.online("carol")
            bob, b = await on_a.online("bob")
            room = await on_a.theme_room(bob)
            for harness, ws in ((on_b, a), (on_b, c), (on_a, b)):
                await harness.join(ws, room)
            said = await on_b.say(a, room, benign_text("à supprimer"))
            for ws in (b, c):
                await ws.expect("msg", conv=room, seq=said["seq"], timeout=5)

            await report(b, {"conv": room, "seq": said["seq"]})
            mod = await moderator(http, node_a)
            case = await case_for(http, mod, f"message:{room}:{said['seq']}")
            deleted = (await act(http, mod, case["id"], "delete_message"))["decision"]
            await c.expect("retract", conv=room, seq=said["seq"], timeout=5)
            await b.expect("retract", conv=room, seq=said["seq"], timeout=5)
            await statement_notice(a, deleted["id"])

            await report(b, {"user": alice.id})
            case = await case_for(http, mod, f"user:{alice.id}")
            timed_out = (await act(http, mod, case["id"], "timeout", duration_minutes=5))["decision"]
            await statement_notice(a, timed_out["id"])
            await a.send(t="say", conv=room, text=benign_text("encore"), cid="apres-timeout")
            refused = await a.expect_error("timed_out", timeout=5)
            assert refused.get("cid") == "apres-timeout"
            assert refused["until"] > 0
            await c.expect_none("msg", conv=room, timeout=1)
            # Bob, on the other node, still talks.
            mine = await on_a.say(b, room, benign_text("moi je peux"))
            await c.expect("msg", conv=room, seq=mine["seq"], timeout=5)
