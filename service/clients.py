"""Who is calling: the client address and whether the connection is local to this machine.

The client is the socket peer. Only when that peer is a trusted proxy
(SAYSO_TRUSTED_PROXIES) does the address come from X-Forwarded-For: the rightmost hop
that is not itself a trusted proxy (hops further left were written by the client and
prove nothing). No other header is ever read. The rate limiter, the rule for writes
without a key and the access log all ask this module.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDING_HEADERS = frozenset({b"x-forwarded-for", b"forwarded", b"x-real-ip", b"via"})
"""Headers a proxy adds: a request carrying one came through a proxy (or claims to)."""
_CACHE_KEY = "sayso.client"


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks (`10.0.0.1`, `10.0.0.0/8`, `::1`); ValueError names a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or CIDR block") from None
    return tuple(networks)


@lru_cache(maxsize=16)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(host: str, networks: tuple[Network, ...]) -> bool:
    address = _address(host)
    return address is not None and any(address in network for network in networks)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`."""
    if host.strip().lower() == "localhost":
        return True
    address = _address(host)
    return address is not None and address.is_loopback


def peer(scope: Scope) -> str | None:
    """The socket peer's address (None when the server does not say, e.g. a Unix socket)."""
    client = scope.get("client")
    return str(client[0]) if client else None


def _forwarded_for(scope: Scope) -> list[str]:
    hops: list[str] = []
    for name, value in scope["headers"]:
        if name == b"x-forwarded-for":
            hops.extend(h.strip() for h in bytes(value).decode("latin-1").split(","))
    return [hop for hop in hops if hop]


def peer_is_trusted(scope: Scope, trusted_proxies: Iterable[str]) -> bool:
    """Whether the socket peer is one of SAYSO_TRUSTED_PROXIES."""
    address = peer(scope)
    return address is not None and _trusted(address, _networks(tuple(trusted_proxies)))


def client_address(scope: Scope, trusted_proxies: Iterable[str]) -> str | None:
    """The client's address: the peer, or behind a trusted peer the rightmost untrusted
    X-Forwarded-For hop (the leftmost hop when every hop is trusted). Cached per request."""
    state = scope.setdefault("state", {})
    if _CACHE_KEY in state:
        cached: str | None = state[_CACHE_KEY]
        return cached
    networks = _networks(tuple(trusted_proxies))
    address = peer(scope)
    if address is not None and _trusted(address, networks):
        hops = _forwarded_for(scope)
        for hop in reversed(hops):
            address = hop
            if not _trusted(hop, networks):
                break
    state[_CACHE_KEY] = address
    return address


def is_local(scope: Scope, trusted_proxies: Iterable[str]) -> bool:
    """The request reached a loopback socket from a loopback client: only this machine
    could have sent it. A request with forwarding headers from a peer that is not a
    trusted proxy is never local (a same-host proxy would pass for this machine)."""
    server = scope.get("server")
    if not server or not is_loopback(str(server[0])):
        return False
    trusted = list(trusted_proxies)
    if not peer_is_trusted(scope, trusted) and any(
        name in FORWARDING_HEADERS for name, _ in scope["headers"]
    ):
        return False
    client = client_address(scope, trusted)
    return client is not None and is_loopback(client)
