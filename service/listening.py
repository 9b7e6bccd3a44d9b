"""The addresses this process listens on (Linux /proc), for the rule on writes without a key.

An ASGI request shows the address its connection reached, not the address the server is
bound to: a server bound to 0.0.0.0 sees a local client that connects through 127.0.0.1
as a loopback connection, yet it also takes connections from the network. So the rule
"writes without a key only on a loopback-bound socket" asks the kernel which TCP sockets
this process holds in the LISTEN state: the socket inodes among /proc/self/fd, matched
against /proc/net/tcp and /proc/net/tcp6. A listening socket inherited from a parent
(uvicorn's `--workers`, systemd socket activation) is among the fds, so it counts too.
Elsewhere (no /proc) the answer is None and the callers keep the per-connection rule.
"""

from __future__ import annotations

import ipaddress
import os
import struct
from pathlib import Path
from typing import NamedTuple

LISTEN = "0A"
"""The TCP state LISTEN as /proc/net/tcp prints it (include/net/tcp_states.h)."""
PROC = Path("/proc")


class Socket(NamedTuple):
    """One row of /proc/net/tcp or tcp6: the local address and port, state and inode."""

    address: str
    port: int
    state: str
    inode: int


def _address(hex_address: str) -> str:
    """An address as /proc/net/tcp prints it: each 32-bit word of the network-order bytes
    printed as a host-order integer (so 127.0.0.1 is 0100007F on a little-endian CPU)."""
    words = [int(hex_address[i : i + 8], 16) for i in range(0, len(hex_address), 8)]
    packed = b"".join(struct.pack("=I", word) for word in words)
    return str(ipaddress.ip_address(packed))


def parse_sockets(text: str) -> list[Socket]:
    """The rows of a /proc/net/tcp or /proc/net/tcp6 file (its header line skipped)."""
    sockets = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        local, state, inode = fields[1], fields[3], fields[9]
        hex_address, _, hex_port = local.partition(":")
        sockets.append(Socket(_address(hex_address), int(hex_port, 16), state, int(inode)))
    return sockets


def _socket_inodes(fd_dir: Path) -> set[int]:
    inodes = set()
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(fd_dir / fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def listening_sockets(proc: Path = PROC) -> list[Socket] | None:
    """The TCP sockets this process listens on, or None when the system does not say (no
    /proc: not Linux, or /proc not mounted)."""
    tables = [table for table in (proc / "net" / "tcp", proc / "net" / "tcp6") if table.exists()]
    if not tables:
        return None
    try:
        inodes = _socket_inodes(proc / "self" / "fd")
        rows = [row for table in tables for row in parse_sockets(table.read_text())]
    except OSError:
        return None
    return [row for row in rows if row.state == LISTEN and row.inode in inodes]
