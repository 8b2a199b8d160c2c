"""Addresses and the networks a ban by address covers."""

from __future__ import annotations

import ipaddress


def address_prefix(address: str | None) -> str | None:
    """The network a ban by address covers: the /24 of an IPv4 address, the /64 of an IPv6 one
    (one subscriber's usual allocation). None for anything that is not an IP address."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    length = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{length}", strict=False))
