"""One process's cluster: a name being entered is claimed once, until its entry releases it."""

from __future__ import annotations

from causette.bus.cluster import LocalCluster


async def test_a_name_is_claimed_once_until_released_by_its_holder() -> None:
    cluster = LocalCluster()
    assert await cluster.claim_name("lea", "u1", 5000)
    assert not await cluster.claim_name("lea", "u2", 5000)
    assert await cluster.claim_name("max", "u2", 5000)
    await cluster.release_name("lea", "u2")  # not the holder: nothing happens
    assert not await cluster.claim_name("lea", "u3", 5000)
    await cluster.release_name("lea", "u1")
    assert await cluster.claim_name("lea", "u3", 5000)
