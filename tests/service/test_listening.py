"""The listening sockets of this process, read from /proc, and the key-less write rule."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from index.search import Searcher
from service.listening import LISTEN, Socket, listening_sockets, parse_sockets
from tests.service.test_security import UNKNOWN, client_for, code

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "


def row(n: int, local: str, remote: str, state: str, inode: int) -> str:
    """A /proc/net/tcp line (the fields after the inode cut short)."""
    return f"   {n}: {local} {remote} {state} 00000000:00000000 00:00000000 00000000 0 0 {inode} 1"


ANY6 = "0" * 32
TCP = "\n".join(
    [
        HEADER + "timeout inode",
        row(0, "0100007F:1F90", "00000000:0000", "0A", 4242),
        row(1, "00000000:0050", "00000000:0000", "0A", 17),
        row(2, "0100007F:1F90", "0100007F:C350", "01", 99),
    ]
)
TCP6 = "\n".join(
    [
        HEADER + "timeout inode",
        row(0, "00000000000000000000000001000000:1F91", ANY6 + ":0000", "0A", 7),
        row(1, ANY6 + ":0016", ANY6 + ":0000", "0A", 8),
        row(2, "0000000000000000FFFF00000100007F:1F92", ANY6 + ":0000", "0A", 9),
    ]
)


@pytest.mark.skipif(sys.byteorder != "little", reason="the sample is a little-endian kernel's")
def test_proc_net_rows_are_decoded() -> None:
    assert parse_sockets(TCP) == [
        Socket("127.0.0.1", 8080, LISTEN, 4242),
        Socket("0.0.0.0", 80, LISTEN, 17),
        Socket("127.0.0.1", 8080, "01", 99),  # an established connection
    ]
    assert parse_sockets(TCP6) == [
        Socket("::1", 8081, LISTEN, 7),
        Socket("::", 22, LISTEN, 8),
        Socket("::ffff:7f00:1", 8082, LISTEN, 9),  # 127.0.0.1, IPv4-mapped
    ]


@contextmanager
def listener(address: str, family: socket.AddressFamily = socket.AF_INET) -> Iterator[int]:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@linux_only
def test_this_process_listening_sockets_are_found() -> None:
    with (
        listener("0.0.0.0") as public,
        listener("127.0.0.1") as local,
        socket.create_connection(("127.0.0.1", local)),  # a connection is not a listener
    ):
        found = listening_sockets()
    assert found is not None
    ports = {(s.address, s.port) for s in found}
    assert {("0.0.0.0", public), ("127.0.0.1", local)} <= ports
    assert all(s.state == LISTEN for s in found)
    after = {(s.address, s.port) for s in listening_sockets() or []}
    assert ("0.0.0.0", public) not in after and ("127.0.0.1", local) not in after


@linux_only
def test_ipv6_listeners_are_found() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback")
        sock.listen()
        port = sock.getsockname()[1]
        assert ("::1", port) in {(s.address, s.port) for s in listening_sockets() or []}


def test_without_proc_the_answer_is_unknown(tmp_path: Path) -> None:
    assert listening_sockets(tmp_path) is None


@linux_only
def test_keyless_writes_are_refused_while_the_process_listens_publicly(
    fake_searcher: Searcher,
) -> None:
    # The connection says 127.0.0.1 -> 127.0.0.1, but the process also listens on 0.0.0.0.
    with listener("0.0.0.0"), client_for(fake_searcher) as client:
        response = client.delete(UNKNOWN)
        assert response.status_code == 403 and code(response) == "writes_disabled"
        assert "0.0.0.0" in response.json()["error"]["message"]
        assert client.get("/readyz").json()["writes"] == "disabled"
        assert client.get("/v1/documents").status_code == 200  # reads stay open


@linux_only
def test_keyless_writes_are_accepted_while_it_listens_on_loopback_only(
    fake_searcher: Searcher,
) -> None:
    with listener("127.0.0.1"), client_for(fake_searcher) as client:
        assert code(client.delete(UNKNOWN)) == "document_not_found"
        assert client.get("/readyz").json()["writes"] == "open"


@linux_only
def test_keyed_writes_do_not_depend_on_the_listening_sockets(fake_searcher: Searcher) -> None:
    with listener("0.0.0.0"), client_for(fake_searcher, api_key="k" * 16) as client:
        response = client.delete(UNKNOWN, headers={"Authorization": "Bearer " + "k" * 16})
        assert code(response) == "document_not_found"
