"""The offline guard itself must bite."""
from __future__ import annotations

import socket

import pytest


def test_guard_refuses_remote_and_allows_loopback(no_network) -> None:
    s = socket.socket()
    with pytest.raises(ConnectionRefusedError, match="offline"):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed
    s.close()
    no_network.clear()  # the attempt was recorded; clear it so the fixture's own check passes
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    client.connect(server.getsockname())
    client.close()
    server.close()
