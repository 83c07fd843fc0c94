"""A connection flood from another process, as an attacker's machine would send it.

Run as ``python -m tests.support.flood idle HOST PORT N`` (N sockets that never send
CONNECT) or ``… login HOST PORT N USER PASSWORD`` (N logins with one account). It
prints one JSON line when the flood is in place — for ``login``, how many of its
connections the broker accepted and how many it has since closed — then holds the
sockets open until its standard input closes.

A separate process, because the test process's MQTT clients use ``select()``, which
cannot watch a socket numbered above 1023.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys

from tests.support.raw_mqtt import raw_connect
from tests.support.waiting import eventually


def main(argv: list[str]) -> None:
    mode, host, port, n = argv[0], argv[1], int(argv[2]), int(argv[3])
    result: dict[str, int] = {}
    if mode == "idle":
        socks = [socket.create_connection((host, port)) for _ in range(n)]
        result["open"] = len(socks)
    else:
        user, password = argv[4], argv[5]
        conns = []
        for i in range(n):
            with contextlib.suppress(OSError, TimeoutError):  # locked out: not accepted
                conns.append(raw_connect(host, port, f"flood-{i}", user, password, timeout=5))
        result["accepted"] = sum(c.connack == 0 for c in conns)

        def alive() -> int:
            return sum(not c.closed_by_broker() for c in conns)

        # Reported, not asserted: the test judges how many the broker left open.
        with contextlib.suppress(AssertionError):
            eventually(lambda: alive() <= 1, "the broker to close all but one login", 20, 0.1)
        result["alive"] = alive()
    print(json.dumps(result), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main(sys.argv[1:])
